"""sapper.detect.features."""
__all__ = []
