"""Instance folders: reading, validating and expanding the tables of INTERFACE.md."""

from optimizer.instance.instance import Instance, load_instance, resolve_folder

__all__ = ["Instance", "load_instance", "resolve_folder"]
