"""sapper.classify.models."""
__all__ = []
