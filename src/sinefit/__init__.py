"""Shared helpers for the sine-fit course.

One module per concept:

- :mod:`sinefit.data`: the seeded data sets and where they live;
- :mod:`sinefit.model`: the model sin(omega*x + t), its MSE and the analytic gradient;
- :mod:`sinefit.landscape`: the MSE on a grid of parameters;
- :mod:`sinefit.descent`: gradient-descent runners that record the trajectory;
- :mod:`sinefit.plotting`: the course's figures;
- :mod:`sinefit.graph`: drawing computation graphs (torch's and any other).
"""

__version__ = "0.1.0"

#: The parameters the course data were generated with (omega, t).
TRUE_PARAMS: tuple[float, float] = (2.188, 1.0)
