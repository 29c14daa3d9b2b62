"""The local API Gateway: a FastAPI app serving the WebSocket API, the @connections management
API, a Lambda Invoke API for the emulator's bridge, the health check and the web frontend."""
