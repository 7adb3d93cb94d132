"""Files and datasets: checkpoints, .pth files, the pickle machine, hostile files, loaders."""
