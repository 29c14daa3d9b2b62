"""The embedded AWS emulator: moto in a child process, with the chat's functions running beside
it, the bridges that let moto run them, and the link to the gateway. Started by chatserver
when no external endpoint is configured.
"""
