"""tinyres.viz: gradient flow, the graph picture, `tinyres explain` and `tinyres gradflow`."""
