"""Hand-written training loops in one framework each, the baselines of ``polyframe bench``.

Per framework: ``<backend>_models.py`` builds the suite's model natively from polyframe's
canonical initial weights (converted to the framework's own layout here), and
``<backend>_loops.py`` trains it two ways: ``docs`` (as the framework's tutorials teach) and
``tuned`` (with what its performance guides recommend). ``keras3_fit.py`` is Keras 3
``model.fit`` on whichever ``KERAS_BACKEND`` the process was started with. Each exposes
``make(...)`` returning an object with ``first_step()``, ``run_window()``, ``version()`` and
``device()`` (see ``polyframe/bench/impl.py``).
"""
