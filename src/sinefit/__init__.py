"""Shared helpers for the sine-fit course.

One module per concept:

- :mod:`sinefit.data`: the seeded data sets and where they live;
- :mod:`sinefit.model`: the model sin(omega*x + t), its MSE and the analytic gradient;
- :mod:`sinefit.landscape`: the MSE on a grid of parameters;
- :mod:`sinefit.descent`: gradient-descent runners that record the trajectory;
- :mod:`sinefit.training`: torch runners, full-batch and minibatch (DataLoader, schedulers, validation);
- :mod:`sinefit.minibatch`: minibatch gradients as noisy estimates of the full gradient, and their spread;
- :mod:`sinefit.blind_date`: the checker of notebook 01's "blind date" exercise (losses only, no answer);
- :mod:`sinefit.plotting`: the course's figures;
- :mod:`sinefit.explorer`: the interactive descent explorer (ipywidgets), a still where there are no widgets;
- :mod:`sinefit.animation`: a descent animated as self-contained HTML (plays in the offline slides);
- :mod:`sinefit.graph`: drawing computation graphs (torch's and any other);
- :mod:`sinefit.op_check`: checking a home-made autodiff operation against torch;
- :mod:`sinefit.networks`: notebook 05's small MLP, its initial weights drawn from a generator of its own.
"""

__version__ = "0.1.0"

#: The parameters the course data were generated with (omega, t).
TRUE_PARAMS: tuple[float, float] = (2.188, 1.0)
