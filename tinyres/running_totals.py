"""An epoch's loss and accuracy, summed on the device where the batches are.

Reading a number from a GPU waits for every kernel queued before it. A training loop that read
the loss after each step (loss.item()) would leave the GPU idle while Python queues the next
step. RunningTotals adds each batch's summed loss and count of correct predictions into device
arrays instead, and copies them to the host only when asked: once per log line.
"""
from .backend import get_backend
from .dtypes import float64


class RunningTotals:
    """add(loss, logits, target) per batch; read() -> (total loss, correct, seen) on the host."""

    def __init__(self):
        self.seen = 0  # samples: batch sizes are known on the host
        self._k = None  # the backend of the batches
        self._loss = None  # () float64: sum over batches of mean loss * batch size
        self._correct = None  # () int64: predictions equal to the target

    def add(self, loss, logits, target):
        """Count one batch: loss () its mean loss, logits (B, C), target (B,) class indices."""
        k = get_backend(loss.device)
        batch = target.shape[0]
        loss_sum = k.mul(k.astype(loss.data, float64), k.full((), batch, float64))
        correct = k.sum(k.equal(k.argmax(logits.data, 1), target.data))
        if self._k is None:
            self._k, self._loss, self._correct = k, loss_sum, correct
        else:
            self._loss = k.add(self._loss, loss_sum)
            self._correct = k.add(self._correct, correct)
        self.seen += batch

    def read(self):
        """(total loss, correct, seen) as Python numbers: two small copies from the device."""
        if self._k is None:
            return 0.0, 0, 0
        loss = float(self._k.to_host(self._loss))
        return loss, int(self._k.to_host(self._correct)), self.seen

    def mean_loss(self):
        """The mean loss per sample so far (a copy from the device)."""
        return self.read()[0] / max(self.seen, 1)
