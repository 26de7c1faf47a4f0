"""What every zone shows at an instant: (scenario plan, store, moderator, time) -> {zone: view}.

This is the scenes stage's per-frame work, between the data and the renderer. For each zone a
scenario binds, it picks the widget shown now (a playlist's current item, a function of time), reads
its feed's snapshot from the store (or the snapshot kept when the wall was frozen), passes it
through the moderator (a blocked post never reaches a painter), and asks the widget for its view:
a frozen dataclass of exactly what to draw. The engine (wall/render/engine.py) only paints,
uploads and composites what it is given here.

Views are pure functions of data and time, and equal views paint equal pixels, so the engine
repaints a zone only when its view changed. A widget whose view moves with time only in steps
(`TIME_STEP_S` in its module: clocks and ages at whole seconds, a banner's pulse at quarter seconds)
is built as of its step's start and only when its binding, its data (the very snapshot object the
store and moderator hand out), its step or the pictures at hand (`wall.pictures.generation`)
changed; the others are built every frame (post pages
and leaderboards animate between steps). Either way a frame is the same at an instant whatever
came before. A widget that fails to build shows its error card; the other zones go on.

Three things a frame carries besides the views:
- `scroll`: the strip offset of scrolling widgets (the ticker), a pure function of time, moved by
  blits without a repaint;
- `withdrawn`: zones whose content an operator just took away (a hide, a block). They are cleared
  in this very frame, before their repaint lands, so a hidden post is off every screen within one
  frame; an approval adds content and may arrive with the repaint;
- freezing: while the director says the wall is frozen, every zone showing a feed keeps the
  snapshot and the "now" of the instant it froze; clocks and tickers go on.

Empty because moderation holds content back: a zone whose widget has nothing to show
(`shows_nothing(view)`) while the kill switch is on, or on an approve-first scenario while posts of
its feed wait for approval, shows the holding card (wall/widgets/holding.py: the theme's logo and a
calm line such as "Posts appear here once approved") instead of the widget's empty look ("No posts
in the last 4 h" would be a lie while 47 posts wait). Why it holds, with the widget's own technical
note, goes to the card's view (state.json, the control API's zone state) and to the log, once per
change; visitors never read it.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from ..config.loader import LoadedConfig, ScenarioPlan
from ..config.schema import active_binding
from ..geometry import Wall, min_font_px
from ..moderation import Moderator
from ..paint.error_card import ErrorView
from ..pictures import generation as pictures_generation
from ..store import FeedSnapshot, Store
from ..widgets.base import BuildContext, ThemeView
from ..widgets.holding import HoldingView, holding_view
from ..widgets.registry import widget

log = logging.getLogger("wall.scenes")

PLANS_REMEMBERED = 4  # the shown plan, one being prepared, and room for a switch in progress
AWAITING_APPROVAL_LINE = "Posts appear here once approved"


class ZoneView(NamedTuple):
    """What one zone shows: the widget's name and the view its painter receives."""

    widget: str
    view: Any


@dataclass(frozen=True)
class SceneFrame:
    """One frame of one scenario, as the engine receives it."""

    plan: ScenarioPlan
    views: Mapping[str, ZoneView]  # zone id -> what it shows, for every zone the scenario binds
    scroll: Mapping[str, float] = field(default_factory=dict)  # zone id -> strip offset (canvas px)
    withdrawn: frozenset[str] = frozenset()  # zones to clear now: an operator took something away


def zone_contexts(plan: ScenarioPlan, wall: Wall, viewing_distance_m: float | None = None) -> dict[str, BuildContext]:
    """A BuildContext per bound zone of a scenario (time and data are filled in per frame)."""
    theme = ThemeView.from_config(plan.theme)
    floor = round(min_font_px(viewing_distance_m, wall.pitch_y), 1) if viewing_distance_m else 0.0
    return {
        z.id: BuildContext(
            zone_id=z.id,
            width=z.rect.w,
            height=z.rect.h,
            origin=(z.rect.x, z.rect.y),
            pitch_mm=(wall.pitch_x, wall.pitch_y),
            time=datetime.fromtimestamp(0).astimezone(),
            theme=theme,
            min_text_px=floor,
        )
        for z in plan.layout.zones
        if z.id in plan.bindings
    }


# the fields of a view-model that name something a moderator can take away
_IDENTITY_FIELDS = ("key", "handle", "author")
_MAX_DEPTH = 6


def shown_identities(view: Any, _depth: int = 0) -> set[str]:
    """The post keys and author handles a view shows: anything a moderator can take away."""
    found: set[str] = set()
    if view is None or _depth > _MAX_DEPTH:
        return found
    if dataclasses.is_dataclass(view) and not isinstance(view, type):
        for f in dataclasses.fields(view):
            value = getattr(view, f.name)
            if f.name in _IDENTITY_FIELDS and isinstance(value, str) and value:
                found.add(f"{f.name}:{value}")
            elif isinstance(value, (tuple, list)) or dataclasses.is_dataclass(value):
                found |= shown_identities(value, _depth + 1)
    elif isinstance(view, (tuple, list)):
        for item in view:
            found |= shown_identities(item, _depth + 1)
    return found


def to_json(value: Any) -> Any:
    """A view-model (dataclasses, pydantic models, tuples, datetimes) as JSON-ready values: what
    state.json and the control API's zone states show."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            "_type": type(value).__name__,
            **{f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)},
        }
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "model_dump"):
        return to_json(value.model_dump(mode="json"))
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


@dataclass
class _Built:
    """The views last built for one plan, and under which moderation rules (see `withdrawn`)."""

    plan: ScenarioPlan
    views: Mapping[str, ZoneView]
    moderation_version: int | None


class SceneViews:
    """Builds each frame's views of the scenarios on the wall (the one shown, and one being
    prepared during a switch). Render thread only; reads the store and the moderator, which are
    thread-safe, and never waits."""

    def __init__(self, loaded: LoadedConfig, store: Store, moderator: Moderator | None = None):
        self.loaded = loaded
        self.store = store
        self.moderator = moderator  # None: renders and installer tools, whose zones are not moderated
        self._contexts: OrderedDict[int, tuple[ScenarioPlan, dict[str, BuildContext]]] = OrderedDict()
        self._built: OrderedDict[int, _Built] = OrderedDict()
        self._frozen_at: datetime | None = None
        self._frozen: dict[str, FeedSnapshot | None] = {}  # feed -> the snapshot shown while frozen
        # (plan id, zone) -> (binding, data, time step start, pictures' generation, view): the view a
        # zone's widget built from exactly these inputs, reused until one of them changes (`frame`)
        self._views: dict[tuple[int, str], tuple[Any, Any, datetime, tuple[int, int], Any]] = {}
        self._holding_reasons: dict[str, tuple[str, str]] = {}  # zone -> (scenario, why) last logged

    def reconfigure(self, loaded: LoadedConfig) -> None:
        """A reloaded config (render thread): zone contexts are made again from its plans."""
        self.loaded = loaded
        self._contexts.clear()
        self._views.clear()

    def moderate_with(self, moderator: Moderator | None) -> None:
        """Filter what zones show through this moderator from the next frame on (None: nothing is
        filtered, as in renders)."""
        self.moderator = moderator
        self._built.clear()
        self._views.clear()

    def frame(self, plan: ScenarioPlan, t: datetime, frozen_at: datetime | None = None) -> SceneFrame:
        """Every bound zone's view at time t. frozen_at: the instant the wall froze (None: live)."""
        if frozen_at != self._frozen_at:
            self._frozen_at, self._frozen = frozen_at, {}
        contexts = self._contexts_of(plan)
        version = self.moderator.version if self.moderator is not None else None
        views: dict[str, ZoneView] = {}
        scroll: dict[str, float] = {}
        for zone_id, base in contexts.items():
            binding = active_binding(plan.bindings[zone_id], t)  # a playlist's current item
            module = widget(binding.widget)
            # frozen: a zone showing a feed stays as it was (its data and its notion of "now")
            t_zone = frozen_at if (frozen_at is not None and binding.feed) else t
            step = getattr(module, "TIME_STEP_S", None)
            try:
                data = self._data(binding.feed, t_zone, plan)
                if step:
                    # a widget whose view changes with time only in steps is built as of its step's
                    # start, and once: the same binding, data object and step give the same view
                    t_zone = t_zone - timedelta(seconds=t_zone.timestamp() % step)
                ctx = dataclasses.replace(base, time=t_zone, data=data)
                hit = self._views.get((id(plan), zone_id)) if step else None
                shots = pictures_generation()  # a picture that arrived changes a card's view
                if hit is not None and hit[0] is binding and hit[1] is data and hit[2] == t_zone and hit[3] == shots:
                    view = hit[4]
                else:
                    view = module.build(binding, ctx)
                    if step:
                        self._views[(id(plan), zone_id)] = (binding, data, t_zone, shots, view)
                held = self._held(zone_id, module, view, binding.feed, ctx, plan)
            except Exception as exc:  # a zone's failure stays in its zone
                log.exception("zone %s: %s failed to build its view", zone_id, binding.widget)
                views[zone_id] = ZoneView(binding.widget, ErrorView(binding.widget, f"{type(exc).__name__}: {exc}"))
                continue
            if held is not None:
                views[zone_id] = ZoneView("holding", held)
                continue
            views[zone_id] = ZoneView(binding.widget, view)
            moves = getattr(module, "scroll", None)
            if moves is not None:
                try:  # motion is a function of the frame's time, frozen or not: tickers go on
                    scroll[zone_id] = moves(view, dataclasses.replace(base, time=t))
                except Exception:
                    log.exception("zone %s: scroll failed", zone_id)
        withdrawn = self._withdrawn(plan, views, version)
        return SceneFrame(plan, views, scroll, withdrawn)

    # ------------------------------------------------------------------ inside

    def _contexts_of(self, plan: ScenarioPlan) -> dict[str, BuildContext]:
        # plans are the config's own objects (or one made per alert or spotlight): identity is the key
        hit = self._contexts.get(id(plan))
        if hit is not None and hit[0] is plan:
            self._contexts.move_to_end(id(plan))
            return hit[1]
        contexts = zone_contexts(plan, self.loaded.wall, self.loaded.config.viewing_distance_m)
        self._contexts[id(plan)] = (plan, contexts)
        while len(self._contexts) > PLANS_REMEMBERED:
            gone, _ = self._contexts.popitem(last=False)
            for key in [k for k in self._views if k[0] == gone]:
                del self._views[key]
        return contexts

    def _held(
        self, zone_id: str, module: Any, view: Any, feed: str | None, ctx: BuildContext, plan: ScenarioPlan
    ) -> HoldingView | None:
        """The holding card for a zone left empty by moderation (see the module's docstring), or None."""
        mod = self.moderator
        empty = getattr(module, "shows_nothing", None)
        if mod is None or feed is None or empty is None or not empty(view):
            self._holding_reasons.pop(zone_id, None)
            return None
        title, line, waiting = "", "", 0
        if mod.killed:
            reason = "kill switch on: no post, leaderboard or topic reaches a screen"
        elif plan.moderation == "approve-first" and (waiting := mod.waiting(feed)) > 0:
            reason = f"{waiting} post{'s' if waiting != 1 else ''} of feed '{feed}' waiting for approval"
            title, line = getattr(view, "title", "") or "", AWAITING_APPROVAL_LINE
        else:  # nothing held back: the widget's own empty look tells the truth
            self._holding_reasons.pop(zone_id, None)
            return None
        status = getattr(view, "status", None)
        own = getattr(view, "empty_note", "") or getattr(status, "note", "")
        if own:
            reason = f"{reason} (the widget says: {own})"
        if self._holding_reasons.get(zone_id) != (plan.name, reason):
            self._holding_reasons[zone_id] = (plan.name, reason)
            log.info("zone %s of %s shows its holding card: %s", zone_id, plan.name, reason)
        return holding_view(ctx, title=title, line=line, reason=reason, waiting=waiting)

    def _data(self, feed: str | None, t: datetime, plan: ScenarioPlan) -> FeedSnapshot | None:
        if feed is None:
            return None
        if self._frozen_at is not None:
            if feed not in self._frozen:
                self._frozen[feed] = self.store.snapshot(feed, t)
            data = self._frozen[feed]
        else:
            data = self.store.snapshot(feed, t)
        if data is not None and self.moderator is not None:
            data = self.moderator.filter(data, plan)  # a blocked post never reaches a painter
        return data

    def _withdrawn(self, plan: ScenarioPlan, views: Mapping[str, ZoneView], version: int | None) -> frozenset[str]:
        """Zones that showed, in the plan's last frame, something the moderation rules changed
        since have taken away (a hide or a block, not an approval)."""
        last = self._built.get(id(plan))
        self._built[id(plan)] = _Built(plan, views, version)
        self._built.move_to_end(id(plan))
        while len(self._built) > PLANS_REMEMBERED:
            self._built.popitem(last=False)
        if last is None or last.plan is not plan or last.moderation_version == version:
            return frozenset()
        gone = set()
        for zone_id, now in views.items():
            before = last.views.get(zone_id)
            if (
                before is not None
                and before.view != now.view
                and shown_identities(before.view) - shown_identities(now.view)
            ):
                gone.add(zone_id)
        return frozenset(gone)
