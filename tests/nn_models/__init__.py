"""tinyres.nn, tinyres.optim and the models: bookkeeping, counts, torchvision parity."""
