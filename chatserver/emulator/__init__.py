"""The embedded AWS emulator: moto in a child process, with the bridges that let it reach the
gateway's local Lambda runtime. Started by chatserver when no external endpoint is configured.
"""
