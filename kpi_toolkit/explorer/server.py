"""The Voilà server behind ``kpi-toolkit workshop``: a token it cannot run without, and a Host
check on every route.

A Voilà app on 127.0.0.1 is reachable from any web page the consultant opens: the page cannot
read another origin, but with DNS rebinding (a name of the attacker's that first resolves to
the attacker's server, then to 127.0.0.1) its requests become same-origin. Two locks close that:

- **the token**: every page and kernel request needs the random token the command printed
  (``?token=...`` in the URL, or the login cookie the browser gets with the first visit);
  this is jupyter_server's token login, which Voilà uses. Static files (Voilà's scripts,
  styles and fonts) are public, as in Jupyter, and hold nothing of the client's.
- **the Host header**: a request whose ``Host`` is not ``localhost``, ``127.0.0.1``, ``[::1]``
  or the ``--ip`` given is refused with 403 on every route, token or not. Voilà itself lets
  any host through (its ``allow_remote_access`` is fixed on).

The token comes in the environment (:data:`TOKEN_ENV`), not the command line, which other
users of the machine can list; without it the server does not start.

Run by :func:`kpi_toolkit.explorer.workshop.serve` as ``python -m kpi_toolkit.explorer.server NOTEBOOK
[Voilà options]``.
"""
from __future__ import annotations

import os
import sys

from tornado import web
from tornado.log import app_log
from traitlets import List, Unicode
from voila.app import Voila

TOKEN_ENV = "KPI_WORKSHOP_TOKEN"
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def host_name(host: str) -> str:
    """The host name of a ``Host`` header or an ``--ip``: lower case, without the port or IPv6 brackets.

    Examples
    --------
    >>> host_name("127.0.0.1:8866"), host_name("[::1]:8866"), host_name("::1"), host_name("LocalHost")
    ('127.0.0.1', '::1', '::1', 'localhost')
    """
    host = host.strip().lower()
    if host.startswith("[") and "]" in host:
        return host[1:host.index("]")]
    if host.count(":") == 1:
        return host.partition(":")[0]
    return host  # a name without a port, or a bare IPv6 address


class HostGuard:
    """Mixed into every handler of the app: a request for another host name gets 403."""

    allowed_hosts: frozenset[str] = frozenset(LOCAL_HOSTS)

    def prepare(self, *args, **kwargs):
        if host_name(self.request.host) not in self.allowed_hosts:
            # jupyter_server's handlers look for a user while writing the error page
            self.current_user = self._jupyter_current_user = None
            app_log.warning("Blocking a request for host %r: the workshop app answers only to %s",
                             self.request.host, ", ".join(sorted(self.allowed_hosts)))
            raise web.HTTPError(403, "this host name is not served here")
        return super().prepare(*args, **kwargs)


class WorkshopVoila(Voila):
    """Voilà with the token required and every route behind :class:`HostGuard`."""

    allowed_hosts = List(Unicode(), config=True,
                         help="Host names accepted besides localhost, 127.0.0.1 and ::1 (the --ip given).")

    def initialize(self, argv=None) -> None:
        token = os.environ.get(TOKEN_ENV, "")
        if len(token) < 32:
            self.log.critical("the workshop server needs a token of 32 or more characters in %s", TOKEN_ENV)
            sys.exit(2)
        super().initialize(argv)
        self.token = token  # after the config files and the command line: none of them can switch it off

    def init_handlers(self) -> list:
        allowed = frozenset([*LOCAL_HOSTS, *(host_name(h) for h in self.allowed_hosts)])
        guarded = {}

        def guard(handler_class):
            if handler_class not in guarded:
                guarded[handler_class] = type(handler_class.__name__, (HostGuard, handler_class),
                                              {"allowed_hosts": allowed})
            return guarded[handler_class]

        handlers = []
        for pattern, handler_class, *options in super().init_handlers():
            handlers.append((pattern, guard(handler_class), *options))
        return handlers


main = WorkshopVoila.launch_instance

if __name__ == "__main__":
    main()
