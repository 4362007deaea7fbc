"""Course tooling: what maintains the course, not what a notebook imports.

A learner never needs these modules; ``python -m course_utils`` reaches them:

- ``bootstrap``: set-up (``lab``, ``test``), standard library only so it runs on a bare Python.
- ``notebooks``: run a notebook the one way the course runs it (``regenerate`` and the nbval run).
- ``bench``: time and memory of each notebook and of the test command; writes the README's tables.
- ``guide``: the instructor guide's schedule, from the bench's figures.
- ``images``: the README's images.
- ``colab``: Colab badges and install cells.
- ``prefetch`` and ``kit``: the offline workshop kit (``kit`` is copied into it as its set-up script).
- ``browser``: JupyterLab in a real browser (a test and the README's screenshot).
- ``review_stats``: statistics of a review data set beside IMDb's.
- ``pytest_plugin``: nbval's settings and the exercise solutions as test items.
"""
