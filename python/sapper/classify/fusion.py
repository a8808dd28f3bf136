"""sapper.classify.fusion."""
__all__ = []
