"""Forecasters of chaotic time series: one small protocol, one registry, one module per family.

    >>> from core.forecasting.families import registry
    >>> model = registry.create("nvar", delays=2)
    >>> model.fit(train, dt)                  # train: (n, dim)
    >>> forecast = model.predict(context, 500)  # (500, dim), autoregressive from context's end
"""
