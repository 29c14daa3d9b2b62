"""AWS resources of chatserver: their definitions, data access for handlers, provisioning.

The data-access modules (``connections``, ``messages``, ``events``, ``management``) use plain
boto3, as a Lambda function does; only ``provision`` uses aioboto3, for the gateway.
"""
