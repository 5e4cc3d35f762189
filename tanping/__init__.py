"""tanping (碳评): the command line on top of the calc and templates layers."""
