"""chatserver: a real-time chat built the AWS serverless way that also runs offline."""

__version__ = "0.1.0"
