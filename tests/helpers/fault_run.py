"""A tiny training run for the fault test (test_fault.py), which kills it with SIGKILL at random
moments: `python fault_run.py FOLDER EPOCHS` trains a 2-block CIFAR ResNet on 256 digits for
EPOCHS epochs, checkpointing to FOLDER/last.npz after each epoch and resuming from it when it is
there. Every run gives the same final state, killed or not (the bit-for-bit resume guarantee)."""
import os
import sys

import numpy as np

import tinyres
from tinyres import data, optim
from tinyres.models import CifarResNet
from tinyres.train import CHECKPOINT_NAME, RunConfig, fit


def main(folder, epochs):
    tinyres.manual_seed(0)
    model = CifarResNet(8, in_channels=1)
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    images, labels = data.get_dataset("digits", "train").get_batch(np.arange(256))
    loader = data.DataLoader(data.ArrayDataset(images, labels), 64, shuffle=True, seed=1,
                             transform=data.standard_transform("digits", True))
    resume = folder if os.path.exists(os.path.join(folder, CHECKPOINT_NAME)) else None
    run = RunConfig(epochs, checkpoint_dir=folder, resume=resume, show_progress=False,
                    log=lambda line: None)
    fit(model, opt, loader, run, scheduler=sched)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
