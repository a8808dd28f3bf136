"""sapper.detect.hyperbola."""
__all__ = []
