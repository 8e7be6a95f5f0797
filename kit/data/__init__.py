"""Ingestion: every supported format becomes an ImageSet (ids, uint8 NHWC images, optional labels)."""
from kit.data.imageset import ImageSet
from kit.data.sources import SOURCES, load_source

__all__ = ["ImageSet", "SOURCES", "load_source"]
