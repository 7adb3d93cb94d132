"""Log-scale axes that tell the truth about flat lines and zeros.

A log axis left to autoscale zooms into whatever range the data spans: a line that is constant
to 6 digits fills the panel with rounding noise, and values of exactly 0 cannot be drawn at all
and silently vanish. Here the range is whole decades (at least one, so a flat line looks flat
and every panel has labelled ticks) and zeros are drawn on a floor line one decade below the
smallest positive value, whose tick reads "0".
"""
import math

FLAT = 1e-3  # values within 0.1% of each other are called flat


def decades(values):
    """(low, high) exponents: whole decades around the positive values, at least one apart."""
    positive = [v for v in values if v > 0 and math.isfinite(v)]
    if not positive:
        return -1, 0
    low = math.floor(math.log10(min(positive)))
    high = math.ceil(math.log10(max(positive)))
    return low, max(high, low + 1)


def layout(values):
    """(bottom, top, floor) of a log axis for values: floor is where zeros are drawn (None when
    there are none), half a decade above the bottom."""
    low, high = decades(values)
    if not any(v == 0 for v in values):
        return 10.0 ** low, 10.0 ** high, None
    floor = 10.0 ** (low - 1)
    return floor / 10 ** 0.5, 10.0 ** high, floor


def apply(ax, values):
    """Set ax to a log y axis fitted to values; returns the floor (None without zeros)."""
    from matplotlib.ticker import LogLocator, NullFormatter
    bottom, top, floor = layout(values)
    ax.set_yscale("log")
    ax.set_ylim(bottom, top)
    ax.yaxis.set_major_locator(LogLocator(base=10, numticks=12))
    ax.yaxis.set_minor_formatter(NullFormatter())  # labels on whole decades only
    if floor is not None:
        ax.axhline(floor, color="gray", lw=0.8, ls=(0, (1, 2)))
        ticks = [t for t in ax.get_yticks() if bottom <= t <= top and t > floor * 1.5]
        ax.set_yticks([floor] + ticks)
        ax.set_yticklabels(["0"] + [f"$10^{{{round(math.log10(t))}}}$" for t in ticks])
    return floor


def flat_note(values, what):
    """A sentence saying values are all equal to 3 digits (None when they are not)."""
    positive = [v for v in values if v > 0]
    if len(positive) < 2 or len(positive) != len(values):
        return None
    spread = max(positive) / min(positive) - 1
    if spread > FLAT:
        return None
    return (f"flat line: {what} is {positive[0]:.4g} at all {len(values)} points"
            f" (relative spread {spread:.0e})")
