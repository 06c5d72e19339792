"""The forecast tab: train (or load) a model on the selected system and judge it against the truth.

Short term: true and predicted series on a Lyapunov-time axis with the valid prediction time,
and the error growth against e^{λ1 t}. Long term: the model's free-run attractor beside the
true one on the same axes, and the metrics table of every model trained in this session.
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import param

from core import integrate, lyapunov, metrics, pretrain, systems, training
from core.forecasters import registry
from core.forecasters.base import FitStopped, ForecastError
from core.store import ModelStore, StoreError, TrainingSpec
from dashboards.render import density, project
from dashboards.selection import Selection

CONTEXT = 200  # points a forecast starts from
FREE_RUN = 10_000  # steps of the long free run judged as an attractor
MAX_COMPARED = 6  # models kept per session for the comparison
PREVIEWS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chaoslab-preview")  # best-so-far forecasts


def _lyapunov_max(system: systems.System) -> float:
    if system.lyapunov_max and system.is_published and system.kind != "map":
        return float(system.lyapunov_max)
    lam = lyapunov.spectrum(system, n_exponents=1, t_max=300 * (system.period or 1.0) if system.kind != "map"
                            else 20_000).max
    if lam <= 0:
        raise ValueError(f"{system.name} is not chaotic at these parameters (λ1 = {lam:.3g}): "
                         "there is no Lyapunov time to measure forecasts in")
    return lam


def _density(points: np.ndarray, extent, width=300, height=260, lines=True) -> hv.Image:
    frame = pd.DataFrame({"x": points[:, 0], "y": points[:, 1]})
    return hv.Image(density(frame, extent, width, height, lines), ["screen x", "screen y"], "count").opts(
        cmap="fire", bgcolor="#0b0b12")


def _padded_extent(points: np.ndarray, pad: float = 0.1) -> tuple[float, float, float, float]:
    """The 2-D bounding box of ``points`` widened by ``pad`` of its size on each side."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    margin = pad * (hi - lo)
    return lo[0] - margin[0], hi[0] + margin[0], lo[1] - margin[1], hi[1] + margin[1]


def _loss_figure(data) -> hv.Overlay:
    """Training and validation loss per epoch, on a log scale."""
    data = np.asarray(data).reshape(-1, 3)
    floor = 1e-12
    return (hv.Curve((data[:, 0], np.maximum(data[:, 1], floor)), "epoch", "loss", label="training")
            * hv.Curve((data[:, 0], np.maximum(data[:, 2], floor)), "epoch", "loss", label="validation")
            ).opts(hv.opts.Curve(logy=True, width=480, height=220, tools=["hover"], framewise=True),
                   hv.opts.Overlay(legend_position="top_right", framewise=True))


def _about(model, prep) -> str:
    """What is particular to this model: latent size, sub-regions, what it was trained on."""
    notes = []
    if hasattr(model, "latent_dimension"):
        latent, observed = model.latent_dimension, int(model.dim_)
        notes.append(f"latent dimension {latent} ({observed} observed + {latent - observed} hidden)")
    if hasattr(model, "subregions"):
        regions = model.subregions(prep["context"], FREE_RUN)
        top = ", ".join(f"{code}: {share:.0%}" for code, share in list(regions["shares"].items())[:4])
        notes.append(f"the free run visits {regions['visited']} of {regions['possible']} linear sub-regions "
                     f"(ReLU sign patterns, most visited first: {top})")
    if getattr(model, "best_epoch_", 0):
        notes.append(f"best checkpoint: epoch {int(model.best_epoch_)}")
    text = "; ".join(notes)
    return f"{text[:1].upper()}{text[1:]}." if text else ""


class ForecastDashboard(param.Parameterized):
    """Train / Stop / Load, the forecast views, and the comparison of this session's models."""

    family = param.Selector(default="nvar", objects=registry.names())
    n_train = param.Integer(default=10_000, bounds=(500, 200_000), doc="training points")
    train_noise = param.Number(default=0.0, bounds=(0.0, 1.0), doc="observation noise on the training data (× std)")
    horizon = param.Number(default=10.0, bounds=(0.5, 100.0), doc="forecast horizon in Lyapunov times")
    eps = param.Number(default=0.5, bounds=(0.01, 5.0), doc="VPT threshold on the normalised error")
    seed = param.Integer(default=0, bounds=(0, 100_000))

    def __init__(self, selection: Selection, store: ModelStore | None = None, **params):
        super().__init__(**params)
        self.sel = selection
        self.store = store or ModelStore()
        self._token, self._job, self._poll, self._cleanup_registered = 0, None, None, False
        self.queue_note = pn.pane.Markdown("", css_classes=["forecast-queue"])
        self.results: list[dict] = []
        self.hyper_box = pn.Column(sizing_mode="stretch_width")
        self._hyper_widgets: dict = {}
        self.param.watch(lambda e: self._build_hyper(), "family")
        self._build_hyper()
        self.train_button = pn.widgets.Button(name="Train", button_type="primary", width=90)
        self.load_button = pn.widgets.Button(name="Load", width=90)
        self.stop_button = pn.widgets.Button(name="Stop", button_type="warning", width=90, visible=False)
        self.train_button.on_click(lambda _: self.request(load_only=False))
        self.load_button.on_click(lambda _: self.request(load_only=True))
        self.stop_button.on_click(lambda _: self._job is not None and training.service().cancel(self._job))
        self.pretrained_button = pn.widgets.Button(name="Load pretrained", width=130)
        self.pretrained_button.on_click(lambda _: self.request(load_only=True, pretrained=True))
        self.preview_button = pn.widgets.Button(name="Show best so far", width=140, visible=False)
        self.preview_button.on_click(self._preview)
        self._live_model, self._epochs_shown = None, 0
        # the live loss curve: a Pipe streams (epoch, training loss, validation loss) into one plot
        self.loss_pipe = hv.streams.Pipe(data=np.zeros((0, 3)))
        self.loss_pane = pn.pane.HoloViews(hv.DynamicMap(_loss_figure, streams=[self.loss_pipe]),
                                           linked_axes=False, css_classes=["forecast-loss"])
        self.training_note = pn.pane.Markdown("", css_classes=["forecast-training"], sizing_mode="stretch_width")
        self.about = pn.pane.Markdown("", css_classes=["forecast-about"], sizing_mode="stretch_width")
        self.progress = pn.indicators.Progress(value=0, max=100, visible=False, width=260, bar_color="info",
                                               css_classes=["forecast-progress"])
        self.message = pn.pane.Alert("", alert_type="danger", visible=False, css_classes=["forecast-error"],
                                     sizing_mode="stretch_width")
        self.summary = pn.pane.Markdown("", css_classes=["forecast-summary"], sizing_mode="stretch_width")
        self.equations = pn.pane.Markdown("", css_classes=["forecast-equations"])
        self.series_box = pn.Column()
        self.growth_pane = pn.pane.HoloViews(hv.Curve([]), linked_axes=False)
        self.attractors = pn.Row(css_classes=["forecast-attractors"])
        # a Tabulator: click a column header to sort the session's models by any metric
        self.table = pn.widgets.Tabulator(pd.DataFrame(), show_index=False, disabled=True, sizing_mode="stretch_width",
                                          css_classes=["forecast-table"], layout="fit_data_table")
        self.grid = pn.GridBox(ncols=3)

    # -- widgets ------------------------------------------------------------------------------
    def _build_hyper(self) -> None:
        widgets = {}
        for name, spec in registry.schema(self.family).items():
            if spec.choices is not None:
                widget = pn.widgets.Select(name=name, options=list(spec.choices), value=spec.default, width=150)
            elif spec.kind is int:
                widget = pn.widgets.IntInput(name=name, value=spec.default, width=150)
            else:
                widget = pn.widgets.FloatInput(name=name, value=spec.default, width=150)
            widget.description = spec.doc
            widgets[name] = widget
        self._hyper_widgets = widgets
        about = pn.pane.Markdown(f"**{self.family}**: {registry.family(self.family).describe_family()}",
                                 css_classes=["forecast-family"], sizing_mode="stretch_width")
        self.hyper_box.objects = [about, pn.FlexBox(*widgets.values()) if widgets
                                  else pn.pane.Markdown("*no hyper-parameters*")]

    def controls(self):
        return pn.Column(
            pn.Row(pn.widgets.Select.from_param(self.param.family, name="Model", width=160),
                   pn.widgets.IntInput.from_param(self.param.n_train, name="Training points", width=130),
                   pn.widgets.FloatInput.from_param(self.param.train_noise, name="Training noise", width=110),
                   pn.widgets.FloatInput.from_param(self.param.horizon, name="Horizon (Lyapunov times)", width=170),
                   pn.widgets.FloatInput.from_param(self.param.eps, name="ε", width=80),
                   pn.widgets.IntInput.from_param(self.param.seed, name="Seed", width=90)),
            # the buttons sit above the hyper-parameters, whose height changes with the family
            pn.Row(self.train_button, self.load_button, self.pretrained_button, self.stop_button,
                   self.preview_button, self.progress, self.queue_note),
            self.training_note,
            pn.Card(self.hyper_box, title="Hyper-parameters", collapsed=False, sizing_mode="stretch_width"),
        )

    def main(self):
        return pn.Column(
            self.controls(), self.message, self.summary, self.about, self.equations,
            pn.Column("#### Training loss (per epoch)", self.loss_pane),
            pn.Row(pn.Column("#### Truth and forecast", self.series_box),
                   pn.Column("#### Error growth", self.growth_pane)),
            pn.Column("#### Attractors: truth and the model's free run (same axes)", self.attractors),
            pn.Column("#### Models of this session", self.table, self.grid),
            sizing_mode="stretch_width",
        )

    # -- jobs ---------------------------------------------------------------------------------
    def _hparams(self) -> dict:
        hparams = {name: w.value for name, w in self._hyper_widgets.items()}
        registry.create(self.family, **hparams)  # validates (ValueError with the bound)
        return hparams

    def request(self, load_only: bool, pretrained: bool = False) -> None:
        try:
            system = self.sel.current_system()
            hparams = self._hparams()
        except (KeyError, ValueError) as exc:
            self._show_error(str(exc))
            return
        if system.kind == "delay":
            self._show_error(f"{system.name} is a delay system: forecasting it is not supported yet")
            return
        if system.kind == "map" and self.family == "sindy":
            hparams["discrete_time"] = True
        self._token += 1
        token = self._token
        if self._job is not None:
            training.service().cancel(self._job)
        in_session = pn.state.curdoc is not None and pn.state.curdoc.session_context is not None
        if not in_session:  # tests, notebooks: run here
            self._publish(token, self._work(system, self.family, hparams, load_only, None, threading.Event(),
                                            pretrained))
            return
        owner = pn.state.curdoc.session_context.id
        if not self._cleanup_registered:
            # a closed tab's jobs are cancelled, not left running for nobody
            pn.state.on_session_destroyed(lambda ctx: training.service().cancel_owner(ctx.id))
            self._cleanup_registered = True
        family = self.family
        try:
            self._job = training.service().submit(
                lambda progress, stop: self._work(system, family, hparams, load_only, progress, stop, pretrained),
                owner=owner, label=f"{family} on {system.name}")
        except training.QueueFull as exc:
            self._show_error(str(exc))
            return
        self.progress.value, self.progress.visible, self.stop_button.visible = 0, True, True
        self.preview_button.visible = registry.family(family).is_iterative and not (load_only or pretrained)
        self.train_button.disabled = True
        self._live_model, self._epochs_shown = None, 0
        self.loss_pipe.send(np.zeros((0, 3)))
        self.training_note.object = f"*{'loading' if load_only else 'training'} {family} on {system.name}…*"
        self._poll = pn.state.add_periodic_callback(partial(self._watch, token, self._job), period=200)

    def _watch(self, token, job) -> None:
        """On the event loop: mirror the job's progress and queue position; publish when done."""
        position = training.service().queue_position(job)
        self.progress.value = int(100 * job.progress)
        self._show_training(job)
        self.queue_note.object = f"*waiting: position {position} in the server's training queue*" if position else ""
        if not job.done:
            return
        self._poll.stop()
        self.queue_note.object = ""
        self.train_button.disabled = False
        if token == self._token:
            self.progress.visible, self.stop_button.visible, self.preview_button.visible = False, False, False
            self._show_training(job, final=True)
        if job.state == training.DONE:
            self._publish(token, job.result)
        elif job.state == training.CANCELLED:
            self._publish(token, {"error": "training stopped; the previous models are kept"})
        else:
            self._publish(token, {"error": job.error})

    def _show_training(self, job, final: bool = False) -> None:
        """Stream the loss curve and say where training stands (epoch, losses, ETA)."""
        epochs = [info for _, info in list(job.history) if "epoch" in info and "loss" in info]
        if len(epochs) != self._epochs_shown:
            self._epochs_shown = len(epochs)
            self.loss_pipe.send(np.array([[i["epoch"], i["loss"], i["val_loss"]] for i in epochs]))
        if final:
            done = "stopped" if job.stop.is_set() else {training.DONE: "finished", training.CANCELLED: "stopped",
                                                         training.FAILED: "failed"}[job.state]
            last = f" after {epochs[-1]['epoch']} epochs" if epochs else ""
            self.training_note.object = f"*{job.label}: {done}{last} in {job.finished - job.started:.1f} s*" \
                if job.started else ""
            return
        if epochs:
            info = epochs[-1]
            eta = job.eta
            self.training_note.object = (
                f"*{job.label}: epoch {info['epoch']} · training loss {info['loss']:.3g} · "
                f"validation loss {info['val_loss']:.3g} · about {eta:.0f} s left*" if eta is not None else "")
        elif job.state == training.RUNNING:
            self.training_note.object = f"*{job.label}: preparing data and the first epoch…*"

    async def _preview(self, _event=None) -> None:
        """Forecast from the best checkpoint so far while training goes on (off the event loop)."""
        model = self._live_model
        snapshot = model.snapshot() if model is not None and hasattr(model, "snapshot") else None
        if snapshot is None:
            self.training_note.object = "*no checkpoint yet: wait for the first epoch to end*"
            return
        token, system, family = self._token, self.sel.current_system(), self.family
        hparams = dict(snapshot.hparams)
        source = f"preview: best checkpoint of epoch {snapshot.best_epoch_}, training goes on"

        def work():
            try:
                return self._score(snapshot, self._prepare(system, family, hparams), family, source, float("nan"))
            except (ForecastError, ValueError, integrate.IntegrationError) as exc:
                return {"error": f"the preview failed: {exc}"}

        result = await asyncio.wrap_future(PREVIEWS.submit(work))
        self._publish(token, result, compare=False)

    def _work(self, system, family, hparams, load_only, progress, stop, pretrained=False) -> dict:
        """Training-service thread: data, the model (stored or trained), forecasts, metrics."""
        progress = progress or (lambda fraction, info=None: None)
        try:
            if pretrained:
                return self._evaluate_pretrained(system, family, progress)
            return self._evaluate(system, family, hparams, load_only, progress, stop)
        except FitStopped:
            return {"error": "training stopped before its first epoch ended; the previous models are kept"}
        except (ForecastError, StoreError, ValueError, LookupError, integrate.IntegrationError) as exc:
            return {"error": str(exc)}

    def _prepare(self, system, family, hparams, dt=None) -> dict:
        """The data of one forecast experiment: training series, context, truth, long truth."""
        dt = float(dt or self.sel.dt or system.dt)
        lam = _lyapunov_max(system)
        steps = max(2, int(round(self.horizon / (lam * dt))))
        context_len = max(CONTEXT, int(registry.create(family, **hparams).min_context))
        total = self.n_train + context_len + max(steps, FREE_RUN)
        data = integrate.trajectory(system, n=total, dt=dt, transient=1000, seed=self.seed).x
        train = data[: self.n_train].copy()
        if self.train_noise > 0:
            rng = np.random.default_rng(self.seed)
            train += self.train_noise * train.std(axis=0) * rng.standard_normal(train.shape)
        start = self.n_train + context_len
        spec = TrainingSpec(system.name, {k: float(v) for k, v in system.params.items() if np.ndim(v) == 0}, dt,
                            self.n_train, float(self.train_noise), int(self.seed), family, hparams)
        return {"system": system, "dt": dt, "lam": lam, "train": train, "context": data[self.n_train : start],
                "truth": data[start : start + steps], "long_truth": data[start : start + FREE_RUN], "spec": spec}

    def _evaluate_pretrained(self, system, family, progress) -> dict:
        """A checkpoint shipped in assets/: trained by ``python -m core.pretrain``, not here."""
        shipped = pretrain.load(family, system.name)
        meta = shipped.meta
        dt = system.dt if shipped.zero_shot else meta["dt"]
        hparams = dict(meta["hparams"])
        prep = self._prepare(system, family, hparams, dt=dt)
        if shipped.zero_shot:
            seen = system.name in meta["trained_on"]
            source = ("pretrained on " + str(len(meta["trained_on"])) + " flows; " +
                      (f"{system.name} was among them, so this is not zero-shot" if seen else
                       f"zero-shot: {system.name} was never seen in training"))
        else:
            changed = [k for k, v in system.params.items() if np.ndim(v) == 0 and k in meta["params"]
                       and not np.isclose(float(v), meta["params"][k])]
            source = (f"pretrained ({meta['created']}, {meta['fit_seconds']} s, published parameters at dt = {dt:g})"
                      + (f"; you changed {', '.join(changed)}, so it forecasts a system it was not trained on"
                         if changed else ""))
        result = self._score(shipped.model, prep, family, source, float(meta["fit_seconds"]), progress)
        if shipped.zero_shot:  # say plainly how good that is: against the simplest baselines on the same window
            base = {name: metrics.vpt(prep["truth"], registry.create(name).fit(prep["train"], dt).predict(
                prep["context"], len(prep["truth"])), dt, prep["lam"], self.eps, prep["train"].std(axis=0))
                for name in ("persistence", "nvar")}
            vpt = result["row"]["VPT (Λt)"]
            verdict = ("better than" if vpt > base["nvar"] else "worse than")
            result["about"] = (f"Zero-shot honesty: VPT {vpt:.2f} Λt here, against persistence {base['persistence']:.2f} "
                               f"and an NVAR trained on this very system in a second {base['nvar']:.2f}; the "
                               f"pretrained transformer is {verdict} the NVAR. {result['about']}").strip()
        return result

    def _evaluate(self, system, family, hparams, load_only, progress, stop) -> dict:
        prep = self._prepare(system, family, hparams)
        record = self.store.load(prep["spec"])
        source, stopped = "loaded from the store", False
        if record is None:
            if load_only:
                raise ValueError(f"no stored {family} model for this configuration: train it first")
            model = registry.create(family, **hparams)
            self._live_model = model  # the page may preview its best checkpoint while it trains
            start = time.perf_counter()
            model.fit(prep["train"], prep["dt"], progress=lambda f, info=None: progress(0.8 * f, info), stop=stop)
            fit_time = time.perf_counter() - start
            source = f"trained in {fit_time:.2f} s"
            stopped = stop is not None and stop.is_set()
            if stopped:
                source += f", stopped: best checkpoint of epoch {model.best_epoch_} kept"
        else:
            model, fit_time = record.model, record.metrics.get("fit_time", float("nan"))
        result = self._score(model, prep, family, source, fit_time, progress)
        if record is None and not stopped:  # a stopped model is shown, never stored as the finished one
            self.store.save(prep["spec"], model, metrics={k: v for k, v in result["row"].items()
                                                          if isinstance(v, float)} | {"fit_time": fit_time})
        return result

    def _score(self, model, prep, family, source, fit_time, progress=None) -> dict:
        """Forecast from the context, free-run for the attractor, and every metric of the table."""
        progress = progress or (lambda fraction, info=None: None)
        truth, dt, lam, train = prep["truth"], prep["dt"], prep["lam"], prep["train"]
        forecast = model.predict(prep["context"], len(truth))
        progress(0.85, {"stage": "free run"})
        scale = train.std(axis=0)
        one = max(2, int(1 / (lam * dt)))
        row = {"model": family, "source": source, "VPT (Λt)": metrics.vpt(truth, forecast, dt, lam, self.eps, scale),
               "NRMSE (1 Λt)": metrics.nrmse(truth[:one], forecast[:one], scale),
               "sMAPE": metrics.smape(truth, forecast), "fit (s)": fit_time}
        long_truth = prep["long_truth"]
        try:
            free = model.predict(prep["context"], FREE_RUN)
            row["D_stsp"] = metrics.state_space_divergence(long_truth, free)
            row["D_H"] = metrics.power_spectrum_distance(long_truth, free, smoothing=2)
            try:
                row["λ1 free run"] = metrics.free_run_exponent(free[:, 0], dt)
            except lyapunov.LyapunovError:
                row["λ1 free run"] = float("nan")
            free_note = ""
        except ForecastError as exc:
            free, free_note = None, f" The free run failed: {exc}."
        progress(0.95, {"stage": "metrics"})
        return {"row": row, "truth": truth, "forecast": forecast, "dt": dt, "lam": lam, "scale": scale,
                "long_truth": long_truth, "free": free, "free_note": free_note, "system": prep["system"],
                "equations": model.equations() if family == "sindy" else None, "about": _about(model, prep),
                "history": getattr(model, "loss_history_", None)}

    # -- results ------------------------------------------------------------------------------
    def _publish(self, token, result, compare: bool = True) -> None:
        if token != self._token:
            return
        if "error" in result:
            self._show_error(result["error"])
            return
        self.message.visible = False
        row = result["row"]
        system = result["system"]
        self.summary.object = (
            f"**{row['model']} on {system.name}: VPT = {row['VPT (Λt)']:.2f} Lyapunov times** "
            f"(ε = {self.eps:g}; λ1 = {result['lam']:.3f}; {row['source']}).{result['free_note']}"
        )
        self.about.object = result.get("about") or ""
        self.equations.object = ("**Discovered equations**\n\n" + "\n".join(f"- `{e}`" for e in result["equations"])
                                 if result["equations"] else "")
        self.series_box.objects = [pn.pane.HoloViews(f, linked_axes=False) for f in self._series_figure(result)]
        self.growth_pane.object = self._growth_figure(result)
        self.attractors.objects = self._attractor_figures(result)
        if not compare:
            return
        history = result.get("history")
        if history is not None and len(history) and not self._epochs_shown:  # a loaded model: its own curve
            self.loss_pipe.send(np.column_stack([np.arange(1, len(history) + 1), history]))
        self.results = (self.results + [{**row, "free": result["free"], "truth": result["long_truth"]}])[-MAX_COMPARED:]
        table = pd.DataFrame([{k: v for k, v in r.items() if k not in ("free", "truth")} for r in self.results])
        self.table.value = table.round(3).sort_values("VPT (Λt)", ascending=False)
        self.grid.objects = [pn.pane.HoloViews(self._grid_figure(r), linked_axes=False) for r in self.results
                             if r["free"] is not None]

    def _series_figure(self, result):
        lyap_t = np.arange(1, len(result["truth"]) + 1) * result["dt"] * result["lam"]
        vpt = result["row"]["VPT (Λt)"]
        panels = []
        for i in range(min(3, result["truth"].shape[1])):
            panels.append((hv.Curve((lyap_t, result["truth"][:, i]), "Lyapunov times", f"x{i}", label="truth")
                           * hv.Curve((lyap_t, result["forecast"][:, i]), label="forecast").opts(line_dash="dashed")
                           * hv.VLine(vpt).opts(color="#d9480f")).opts(width=480, height=150, show_legend=i == 0))
        return panels

    def _growth_figure(self, result):
        err = metrics.error_growth(result["truth"], result["forecast"], result["scale"])
        lyap_t = np.arange(1, len(err) + 1) * result["dt"] * result["lam"]
        reference = max(err[0], 1e-12) * np.exp(lyap_t - lyap_t[0])
        return (hv.Curve((lyap_t, np.maximum(err, 1e-12)), "Lyapunov times", "normalised error", label="model")
                * hv.Curve((lyap_t, reference), label="e^{λ1 t}").opts(color="grey", line_dash="dotted")
                * hv.HLine(self.eps).opts(color="#d9480f")).opts(logy=True, width=480, height=460,
                                                                  legend_position="bottom_right")

    def _projected(self, x):
        coords = tuple(range(min(3, x.shape[1])))
        if len(coords) == 1:
            return np.stack([x[:-1, 0], x[1:, 0]], axis=1)
        return project(x, coords, self.sel.azimuth, self.sel.elevation)

    def _attractor_figures(self, result):
        truth = self._projected(result["long_truth"])
        extent = _padded_extent(truth)
        lines = result["system"].kind != "map"
        figures = [pn.pane.HoloViews(_density(truth, extent, lines=lines).opts(title="truth", width=420, height=360),
                                     linked_axes=False)]
        if result["free"] is not None:
            free = self._projected(result["free"])
            title = f"{result['row']['model']}: free run of {len(free)} steps"
            figures.append(pn.pane.HoloViews(_density(free, extent, lines=lines).opts(title=title, width=420, height=360),
                                             linked_axes=False))
        return figures

    def _grid_figure(self, row):
        extent = _padded_extent(self._projected(row["truth"]))
        return _density(self._projected(row["free"]), extent, 200, 170).opts(
            width=260, height=220, title=f"{row['model']} (VPT {row['VPT (Λt)']:.1f})", xaxis=None, yaxis=None)

    def _show_error(self, message: str) -> None:
        self.message.object = f"**Forecast not updated:** {message}"
        self.message.visible = True
