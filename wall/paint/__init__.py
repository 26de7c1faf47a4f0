"""Painting helpers shared by widget painters (skia-python). Nothing here touches OpenGL."""
