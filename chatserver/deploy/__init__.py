"""Deploying chatserver to AWS with ``template.yaml``: the tools a developer runs, never deployed.

- ``runtime_modules``: which of chatserver's modules the Lambda functions import.
- ``lambda_package``: ``chatserver package`` builds the zip every function of the template runs.
- ``frontend``: ``chatserver deploy-frontend`` uploads ``web/`` to the stack's bucket.
- ``commands``: the two subcommands of ``chatserver``.
"""
