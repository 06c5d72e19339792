"""Turn a system's right-hand side into one C-callable kernel that every integrator shares.

The integrators in ``core.dynamics.integrate`` are compiled once, against a single function-pointer type::

    rhs(t: float64, x: float64*, p: float64*, out: float64*) -> void

so a new system costs only the compilation of a few-line wrapper, never of an integrator. The
wrapper unpacks the state and the flat parameter vector into the argument list of the system's
own right-hand side (dysts's ``_rhs`` or one of ``core.systems.ports``), matching parameters by name.
Wrapper modules are generated into a cache directory and compiled with ``cache=True``, so a
restarted server loads machine code from disk instead of compiling again.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import inspect
import textwrap
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numba
from numba import types
from numba.core.compiler_lock import global_compiler_lock

from core import written_aside

RHS_SIGNATURE = types.void(
    types.float64,
    types.CPointer(types.float64),
    types.CPointer(types.float64),
    types.CPointer(types.float64),
)
RHS_TYPE = types.FunctionType(RHS_SIGNATURE)

_CODEGEN_VERSION = "3"  # bump when generate_source changes shape


def cache_dir() -> Path:
    """Where generated kernels live: ``$CHAOSLAB_CACHE`` or the user's cache directory."""
    root = os.environ.get("CHAOSLAB_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "chaoslab"
    )
    path = Path(root) / "kernels"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class RhsSource:
    """Where a right-hand side lives and how to call it.

    ``module`` and ``qualname`` locate the Python callable (an ``njit`` dispatcher or a plain
    function numba can compile); ``convention`` is ``"scalar"`` (``f(x, y, ..., t, *params)``
    returning a tuple or a scalar) or ``"vector"`` (``f(X, t, out, *params)`` filling ``out``).
    ``param_shapes`` maps each parameter name to its shape (``()`` for scalars) in the order the
    flat parameter vector packs them. ``time_arg`` names the argument that receives time (maps
    get the iteration index), or ``None`` when the function takes none. A ``delay`` system's
    state is ``(x(t), x(t - tau))`` and its right-hand side returns the scalar ``dx/dt``.
    ``output="jacobian"`` wraps a Jacobian returning rows (dysts's ``_jac``) into ``out[i*d + j]``.
    ``per_size`` is the number of variables per unit of ``dim_param`` (``core.systems.networks``).
    ``code`` carries the module's source for right-hand sides that live nowhere else (systems
    typed by hand, ``core.systems.equations``): any process, a Dask worker included, rebuilds the module
    from it.
    """

    module: str
    qualname: str
    convention: str
    dim: int | None
    param_shapes: tuple[tuple[str, tuple[int, ...]], ...]
    time_arg: str | None = "t"
    dim_param: str | None = None
    delay: bool = False
    output: str = "state"
    code: str | None = field(default=None, repr=False, compare=True)
    # variables per unit of ``dim_param`` (a network of N two-variable maps integrates 2N)
    per_size: int = field(default=1, repr=False)


def _module(source: RhsSource):
    """The module of ``source``: imported, or built from its ``code`` (in the cache directory)."""
    if source.code is None:
        return importlib.import_module(source.module)
    if source.module in sys.modules:
        return sys.modules[source.module]
    path = cache_dir() / "user" / f"{source.module}.py"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        with written_aside(path) as scratch:
            scratch.write_text(source.code)
    spec = importlib.util.spec_from_file_location(source.module, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[source.module] = module
    spec.loader.exec_module(module)
    return module


def _resolve(source: RhsSource):
    obj = _module(source)
    for part in source.qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _argument_names(fn) -> list[str]:
    py = getattr(fn, "py_func", fn)
    return list(inspect.signature(py).parameters)


def _param_expressions(source: RhsSource) -> dict[str, str]:
    exprs, offset = {}, 0
    for name, shape in source.param_shapes:
        size = 1
        for s in shape:
            size *= s
        if shape == ():
            exprs[name] = f"p[{offset}]"
        elif len(shape) == 1:
            exprs[name] = f"P[{offset}:{offset + size}]"
        else:
            exprs[name] = f"P[{offset}:{offset + size}].reshape({shape!r})"
        offset += size
    exprs["__size__"] = str(offset)
    return exprs


def _full_repr(source: RhsSource) -> str:
    """``repr`` with ``code`` (left out of the everyday repr for brevity)."""
    text = repr(source)
    return text if source.code is None else f"{text[:-1]}, code={source.code!r})"


class _ListsToTuples(ast.NodeTransformer):
    def visit_List(self, node):
        self.generic_visit(node)
        return ast.Tuple(elts=node.elts, ctx=node.ctx)


def allocation_free(fn):
    """``fn`` with its list literals made tuples, when that cannot change what it computes.

    dysts's Jacobians build each row as a list (``row1 = [-sigma, sigma, 0]; ...; return row1,
    row2, row3``): numba allocates every list on the heap, 90 ns of a Lorenz Jacobian's call that
    a tangent step makes four times. A tuple is a value, on the stack. Only a function whose
    lists are never stored into, augmented or looped over is rewritten; any other is returned
    unchanged, as is one whose source cannot be read.
    """
    py = getattr(fn, "py_func", fn)
    with global_compiler_lock:  # CPython 3.11's ast is not safe in two threads at once (gh-106905)
        return _allocation_free(fn, py)


def _allocation_free(fn, py):
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(py)))
    except (OSError, TypeError, SyntaxError):
        return fn
    definition = tree.body[0]
    if not isinstance(definition, ast.FunctionDef) or not any(isinstance(n, ast.List) for n in ast.walk(definition)):
        return fn
    for node in ast.walk(definition):
        if isinstance(node, (ast.AugAssign, ast.For, ast.While, ast.ListComp, ast.Attribute)) and not (
            isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("np", "numpy", "math")
        ) or isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
            return fn
    definition.decorator_list = []
    tree = ast.fix_missing_locations(_ListsToTuples().visit(tree))
    namespace = dict(py.__globals__)
    exec(compile(tree, f"<allocation-free {py.__qualname__}>", "exec"), namespace)
    return namespace[definition.name]


def scalar_call(source: RhsSource, args: list[str], state: list[str], params: Mapping[str, str], time: str) -> str:
    """The argument list of a call to a scalar-convention right-hand side with arguments
    ``args``: ``state`` for its variables, then ``time`` for its time argument and each
    parameter's expression from ``params``; a ``TypeError`` names any other argument."""
    call = list(state)
    for name in args[len(state):]:
        if name == source.time_arg:
            call.append(time)
        elif name in params:
            call.append(params[name])
        else:
            raise TypeError(f"{source.qualname}: argument {name!r} is neither time nor a parameter")
    return ", ".join(call)


def generate_source(source: RhsSource) -> str:
    """The Python source of one right-hand side's two compiled forms: ``rhs_jit(t, x, p, out)``
    on arrays (for integrators specialised to this system, which numba inlines) and the
    C-callable ``rhs`` that wraps it (for the integrators every system shares)."""
    fn = _resolve(source)
    args = _argument_names(fn)
    params = _param_expressions(source)
    n_params = int(params.pop("__size__"))
    lines = [
        '"""Generated by core.systems.compiled; do not edit."""',
        "import numpy as np",
        "from numba import carray, cfunc, njit",
        "from core.systems.compiled import RHS_SIGNATURE, _resolve, allocation_free, RhsSource",
        f"_SOURCE = {_full_repr(source)}",
        "_f = _resolve(_SOURCE)",
        *(["_f = allocation_free(_f)"] if source.output == "jacobian" else []),
        "if not hasattr(_f, 'py_func'):",
        "    _f = njit(_f)",
        "",
        "",
        "@njit(cache=True, nogil=True)",
        "def rhs_jit(t, x, p, out):",
        "    P = p",
    ]
    if source.convention == "vector":
        dim = f"int(p[{params[source.dim_param][2:-1]}])" if source.dim_param else str(source.dim)
        if source.dim_param and source.per_size != 1:
            dim = f"{dim} * {source.per_size}"
        lines.append(f"    _f({', '.join(['x', 't', 'out'] + [params[a] for a in args[3:]])})")
        n_out = dim
    else:
        dim = str(source.dim)
        call = scalar_call(source, args, [f"x[{i}]" for i in range(source.dim)], params,
                           "t" if source.time_arg == "t" else "int(t)")
        lines.append(f"    r = _f({call})")
        if source.output == "jacobian":
            lines += [f"    out[{i * source.dim + j}] = r[{i}][{j}]" for i in range(source.dim) for j in range(source.dim)]
            n_out = str(source.dim * source.dim)
        elif source.dim == 1 or source.delay:
            lines.append("    out[0] = r if not isinstance(r, tuple) else r[0]")
            n_out = "1"
        else:
            lines += [f"    out[{i}] = r[{i}]" for i in range(source.dim)]
            n_out = dim
    missing = set(params) - set(args) - {source.dim_param}
    if missing:
        raise TypeError(f"{source.qualname} takes no parameter(s) {sorted(missing)}")
    lines += [
        "",
        "",
        "@cfunc(RHS_SIGNATURE, cache=True)",
        "def rhs(t, x, p, out):",
        f"    rhs_jit(t, carray(x, ({dim},)), carray(p, ({max(1, n_params)},)), carray(out, ({n_out},)))",
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Kernels:
    """One right-hand side compiled twice: ``pointer`` (a ``cfunc`` every shared integrator calls)
    and ``jit`` (the dispatcher a specialised integrator inlines)."""

    pointer: object
    jit: object
    module: str = ""  # the generated wrapper's module name, let go of with the kernels


MAX_TYPED_KERNELS = 32  # typed systems' kernels held per process, least recently used let go first
# (their machine code stays cached on disk: using one again loads it, no compile)

_lock = threading.Lock()
_kernels: OrderedDict[RhsSource, Kernels] = OrderedDict()


def kernels(source: RhsSource) -> Kernels:
    """The compiled forms of ``source``, generated and cached on disk on first use."""
    with _lock:
        kernel = _kernels.get(source)
        if kernel is not None:
            _kernels.move_to_end(source)
            return kernel
        text = generate_source(source)
        # numba's cache checks only the wrapper's own file: key it on the callee's module too
        callee = source.code.encode() if source.code is not None else \
            Path(inspect.getfile(importlib.import_module(source.module))).read_bytes()
        key = hashlib.sha1(_CODEGEN_VERSION.encode() + numba.__version__.encode() + text.encode() + callee).hexdigest()[:16]
        name = f"rhs_{source.qualname.replace('.', '_')}_{key}"
        path = cache_dir() / f"{name}.py"
        if not path.exists():
            with written_aside(path) as scratch:
                scratch.write_text(text)
        spec = importlib.util.spec_from_file_location(f"chaoslab_kernels.{name}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        kernel = _kernels[source] = Kernels(pointer=module.rhs, jit=module.rhs_jit, module=spec.name)
        typed = [s for s in _kernels if s.code is not None]
        for old in typed[: max(0, len(typed) - MAX_TYPED_KERNELS)]:  # a class typing systems all lesson long
            sys.modules.pop(_kernels.pop(old).module, None)
            sys.modules.pop(old.module, None)
        return kernel


@numba.njit(cache=True, nogil=True)
def _call(f, t, x, p, out):
    f(t, x.ctypes, p.ctypes, out.ctypes)


def evaluate(kernel, x, p, t: float, out):
    """Call a C-callable kernel on contiguous float64 arrays: ``out = f(t, x; p)``."""
    _call(kernel, float(t), x, p, out)
    return out
