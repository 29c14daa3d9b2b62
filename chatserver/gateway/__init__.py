"""The local API Gateway: a FastAPI app serving the WebSocket API, the @connections management
API and a Lambda Invoke API (for outside callers; the chat's own functions are reached over the
emulator's link or in this process), the health check and the web frontend."""
