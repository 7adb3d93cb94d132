"""tinyres.optim: optimizers (SGD, Adam) and learning-rate schedules (tinyres.optim.lr_scheduler).

    opt = tinyres.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    sched = tinyres.optim.lr_scheduler.MultiStepLR(opt, milestones=[100, 150], gamma=0.1)
    loss.backward(); opt.step(); opt.zero_grad()        # each iteration
    sched.step()                                         # each epoch
"""
from . import lr_scheduler  # noqa: F401
from .adam import Adam  # noqa: F401
from .optimizer import Optimizer  # noqa: F401
from .sgd import SGD  # noqa: F401
