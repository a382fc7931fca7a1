"""The publisher: the one process per site that writes published reflections and renders pages."""
