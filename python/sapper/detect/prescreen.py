"""sapper.detect.prescreen."""
__all__ = []
