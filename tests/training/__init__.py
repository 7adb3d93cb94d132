"""The training loop: learning, checkpoints, resuming, wrong checkpoints, kill -9."""
