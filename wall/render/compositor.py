"""Zone textures -> one framebuffer per physical display, redrawing only what changed.

Each zone owns a texture at exactly the pixel size it is shown at. Each output (display) owns a
framebuffer at its native resolution and remembers which version of every zone texture it last
drew. A frame redraws, per output, only the zones whose texture changed since (dirty rectangles);
everything else stays in the framebuffer from earlier frames. Unrotated displays receive zones by
a 1:1 framebuffer blit; rotated ones by a textured quad restricted (scissored) to the dirty area.

Scrolling zones (a ticker) hold a strip wider than the zone, one period of content, and a
per-frame offset: the zone shows strip columns [offset, offset + width) with wrap-around. Moving
it costs blits of the zone's area only, never a repaint, and because the offset is in canvas
pixels the text runs on continuously across displays and bezels.

Convention: row 0 of every texture and framebuffer is the *top* row of the picture (GL's y=0
holds our top row). Reading an output back therefore gives a PNG-ordered image; windows flip once
when they present.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import moderngl
import numpy as np

from ..geometry import Display, Rect, Wall
from ..layout import Zone
from ..memory import give_back_memory
from . import cpu_scale, gl
from .cpu_mix import BAND_ROWS, MixPool, mix_rows

log = logging.getLogger("wall.render")

Box = tuple[int, int, int, int]  # a native rectangle of an output: x, y, w, h, row 0 at the top


@dataclass
class ZoneSurface:
    """A zone's picture on the GPU. Its texture is made with its first picture (`Compositor.upload`),
    not before: making a texture costs llvmpipe a few milliseconds, and a switch would otherwise
    make a whole scenario's on the render thread in one frame, before anything was painted.

    A zone whose picture is also, pixel for pixel, in the composited pictures of the panels it lies
    on (`holders`) gives its texture back while the wall is still (`Compositor._settle_zones`). A
    zone across panels keeps the parts no panel shows (the canvas behind a bezel: a slide shows
    them) in small textures of their own (`hidden`)."""

    zone: Zone
    _texture: moderngl.Texture | None = None
    _fbo: moderngl.Framebuffer | None = None
    version: int = 0  # bumped on every upload; 0 = nothing painted yet
    offset: int = 0  # scroll position in strip columns (scrolling zones only)
    turn: int = 0  # quarter turns of the picture held: a zone inside a rotated panel, in its orientation
    holders: tuple[str, ...] = ()  # the displays whose pictures hold this zone's pixels (no texture then)
    # settled across panels: each canvas rectangle of the zone behind a bezel, and its pixels
    hidden: list[tuple[Rect, moderngl.Texture, moderngl.Framebuffer]] = field(default_factory=list)

    @property
    def texture(self) -> moderngl.Texture:
        assert self._texture is not None, f"zone {self.zone.id} has no picture yet"
        return self._texture

    @property
    def fbo(self) -> moderngl.Framebuffer:
        assert self._fbo is not None, f"zone {self.zone.id} has no picture yet"
        return self._fbo

    @property
    def period(self) -> int:
        """A scrolling strip's length in canvas columns (the texture's rows when turned a quarter)."""
        if self._texture is None:
            return self.zone.rect.w
        return self._texture.height if self.turn % 2 else self._texture.width

    @property
    def state(self) -> tuple[int, int]:
        """What an output must have drawn to be up to date with this zone."""
        return self.version, self.offset

    def attach(self, ctx: moderngl.Context, pixels: np.ndarray, strip: bool) -> None:
        """A texture made for this picture (and with it): the zone's size, or a scrolling strip's
        width (repeating in x, for quads)."""
        self.release()
        h, w = pixels.shape[:2]
        tex = ctx.texture((w, h), 4, np.ascontiguousarray(pixels))
        tex.filter = (moderngl.NEAREST, moderngl.NEAREST)
        tex.repeat_x = tex.repeat_y = strip  # a strip repeats along its length (y, turned a quarter)
        self._texture, self._fbo = tex, ctx.framebuffer([tex])
        self.offset %= w

    def release(self) -> None:
        if self._fbo is not None:
            self._fbo.release()
        if self._texture is not None:
            self._texture.release()
        self._texture = self._fbo = None
        self.release_hidden()

    def release_hidden(self) -> None:
        for _, tex, fbo in self.hidden:
            fbo.release()
            tex.release()
        self.hidden = []


@dataclass
class Output:
    display: Display
    texture: moderngl.Texture
    fbo: moderngl.Framebuffer
    drawn: dict[str, tuple[int, int]] = field(default_factory=dict)  # zone id -> state last drawn here
    needs_clear: bool = True
    # what the last compose() rewrote, in native pixels (x, y, w, h from the top-left): windows that
    # keep their back buffer present only these rectangles
    damage: list[tuple[int, int, int, int]] = field(default_factory=list)
    written: list[tuple[int, int, int, int]] = field(default_factory=list)  # by uploads, between frames
    # the post stage (transitions, spotlight, night): extra targets, made when first needed
    post: tuple[moderngl.Texture, moderngl.Framebuffer] | None = None
    night: tuple[moderngl.Texture, moderngl.Framebuffer] | None = None
    before: tuple[moderngl.Texture, moderngl.Framebuffer] | None = None  # the picture a transition leaves
    shown: str = "main"  # which target the panel shows: main, post or night
    night_key: tuple | None = None  # (gain, shift, what it was drawn from) of the night target

    @property
    def shown_target(self) -> tuple[moderngl.Texture, moderngl.Framebuffer]:
        """What the panel shows this frame: the composited picture, or the post stage's result."""
        if self.shown == "night" and self.night is not None:
            return self.night
        if self.shown == "post" and self.post is not None:
            return self.post
        if self.shown == "before" and self.before is not None:
            return self.before
        return self.texture, self.fbo

    def release_extras(self) -> None:
        for pair in (self.post, self.night, self.before):
            if pair is not None:
                pair[1].release()
                pair[0].release()
        self.post = self.night = self.before = None


# transitions whose first step (progress 0) is exactly the picture they leave
UNMOVED_AT_START = frozenset({"crossfade", "slide", "wipe"})
# transitions that draw the scenario they leave from its zones' pictures (a slide moves them, a
# shrinking spotlight scales its zone); the others draw it from the picture captured at the commit
DRAWS_OLD_ZONES = frozenset({"slide", "zoom_out"})


@dataclass
class PostEffects:
    """What the post stage does this frame (all of it a function of the frame's time).

    kind/progress: a transition from the picture before the last scenario change (crossfade, wipe,
    slide), or a spotlight (zoom_in: a zone grows from `rect` to the whole canvas; zoom_out: back).
    gain/shift: the night state (dimmed picture, moved a few pixels now and then)."""

    kind: str | None = None
    progress: float = 1.0  # eased, 0..1
    rect: Rect | None = None  # zoom: the zone's rectangle on the canvas
    gain: float = 1.0
    shift: tuple[int, int] = (0, 0)  # canvas pixels

    @property
    def transition(self) -> bool:
        return self.kind is not None and self.progress < 1.0

    @property
    def night(self) -> bool:
        return self.gain != 1.0 or self.shift != (0, 0)


@dataclass
class ComposeStats:
    blits: int = 0
    quads: int = 0
    pixels: int = 0  # output pixels rewritten this frame


class Compositor:
    def __init__(self, ctx: moderngl.Context, wall: Wall, background: tuple[int, int, int, int]):
        self.ctx = ctx
        self.wall = wall
        self.background = tuple(c / 255.0 for c in background)
        self.zones: dict[str, ZoneSurface] = {}
        self.order: list[str] = []
        self.use_blit = gl.blit_available()
        self._prog = gl.program(ctx, "zone_quad")
        self._vbo = ctx.buffer(reserve=6 * 4 * 4, dynamic=True)
        self._vao = ctx.vertex_array(self._prog, [(self._vbo, "2f 2f", "in_pos", "in_uv")])
        self._post_prog = gl.program(ctx, "post_quad")
        self._post_vbo = ctx.buffer(reserve=6 * 4 * 4, dynamic=True)
        self._post_vao = ctx.vertex_array(self._post_prog, [(self._post_vbo, "2f 2f", "in_pos", "in_uv")])
        # where the picture a transition leaves differs from the new one (canvas rectangles): the
        # zones that were not carried over, or the whole canvas when the background changed
        self._changed: list[Rect] = []
        # two-phase scenario changes: the next scenario's zones, painted and uploaded while the
        # current one is still shown, installed at a frame boundary by commit_pending()
        self.pending: dict[str, ZoneSurface] | None = None
        self.pending_order: list[str] = []
        # the previous scenario's zones, kept while a transition still draws them
        self.old_zones: dict[str, ZoneSurface] = {}
        self.old_order: list[str] = []
        # software GL: a crossfade is mixed by numpy on every core and uploaded (wall/render/cpu_mix.py);
        # per panel, the (before, after, mixed) pictures of each native rectangle it mixes
        self.cpu_mix = gl.is_software(ctx) and self.use_blit
        self._mix_pool = MixPool()
        self._mixing: dict[str, dict[Box, tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
        self._mix_jobs: list[tuple[Output, list[Box], list[Box]]] = []
        # and a spotlight's zone picture is scaled by Pillow on the same threads (cpu_scale.py): the
        # picture's pixels, read back from GL once per version of it (zone, version, pixels, image)
        self._spot_source: tuple[ZoneSurface, int, np.ndarray, Any] | None = None
        # panel, zone, rect, part, alpha, what the compositor redrew of the panel's new picture
        self._spot_jobs: list[tuple[Output, ZoneSurface, Rect, Rect, float, list[Box]]] = []
        # per panel, its new picture read back while a spotlight fades out over it
        self._spot_unders: dict[str, np.ndarray] = {}
        # memory for the CPU's part of a transition: panel-sized pictures per panel, and a
        # canvas-sized one for the spotlit picture, made and touched on a mixing thread while the
        # switch is prepared (ready_targets: _make_memory), installed here once made
        self._cpu_ready: dict[str, list[np.ndarray]] = {}
        self._source_ready: np.ndarray | None = None
        self._cpu_making: Future | None = None
        # a still wall keeps a zone's pixels once, in its panels' pictures, when that can be copied
        # back: copies available and no panel rotated (a slide draws zones across panels)
        self._settles = self.use_blit and all(d.rotation % 360 == 0 for d in wall.displays)
        self._holders: dict[str, tuple[str, ...]] = {}  # zone id -> _holders_of, for the zones installed
        self.outputs: dict[str, Output] = {}
        for d in wall.displays:
            tex = ctx.texture(d.resolution, 4)
            tex.filter = (moderngl.NEAREST, moderngl.NEAREST)  # output pictures are only ever read 1:1
            self.outputs[d.id] = Output(d, tex, ctx.framebuffer([tex]))
        self._ready_post_stage()

    # ----------------------------------------------------------------- zones

    def set_zones(self, zones: list[Zone], background: tuple[int, int, int, int] | None = None) -> None:
        """Install a layout's zones. Textures of unchanged zones (same id and rectangle) are kept,
        with their pixels, so a scenario switch does not flash them empty."""
        if background is not None:
            self.background = tuple(c / 255.0 for c in background)
        keep: dict[str, ZoneSurface] = {}
        for z in zones:
            old = self.zones.get(z.id)
            if old is not None and old.zone.rect == z.rect:
                old.zone = z
                keep[z.id] = old
            else:
                keep[z.id] = ZoneSurface(z)
        for zid, surf in self.zones.items():
            if keep.get(zid) is not surf:
                surf.release()
                surf.holders = ()
        self.zones, self._holders = keep, {}
        self.order = [z.id for z in sorted(zones, key=lambda z: z.z)]
        for out in self.outputs.values():
            out.drawn.clear()
            out.needs_clear = True

    def begin_pending(self, zones: list[Zone], reuse: set[str] = frozenset()) -> None:
        """Start preparing the next scenario's zones. `reuse`: zone ids whose current texture shows
        exactly what the next scenario shows there (same rectangle, same binding): shared, not
        repainted."""
        self.drop_pending()
        pending: dict[str, ZoneSurface] = {}
        for z in zones:
            old = self.zones.get(z.id)
            if z.id in reuse and old is not None and old.zone.rect == z.rect and old.version > 0:
                pending[z.id] = old
            else:
                pending[z.id] = ZoneSurface(z)
        self.pending = pending
        self.pending_order = [z.id for z in sorted(zones, key=lambda z: z.z)]

    def pending_missing(self) -> list[str]:
        """Pending zones with nothing uploaded yet (the commit waits for none of them)."""
        return [] if self.pending is None else [zid for zid, s in self.pending.items() if s.version == 0]

    def drop_pending(self) -> None:
        if self.pending is None:
            return
        current = {id(s) for s in self.zones.values()}
        for surf in self.pending.values():
            if id(surf) not in current:
                surf.release()
        self.pending = None
        self.pending_order = []

    def ready_zones(self, limit_s: float | None, kind: str) -> bool:
        """Give a texture again, copied from its panels' pictures, to each zone whose pixels only
        those pictures hold (`_settle_zones`) and that the switch being prepared draws from a
        texture: the zones the next scenario carries over, and, when its transition (`kind`, "cut":
        none) draws the scenario it leaves from its zones (`DRAWS_OLD_ZONES`: a slide copies them),
        every zone of that one. A crossfade, a wipe or a growing spotlight draws it from the
        picture captured at the commit, so its zones stay in the panels' pictures: on the demo wall
        that is 40 MB of textures not made for each such switch, and their copies not made while it
        is prepared. For up to `limit_s` of this frame (None: all; at least one a call), on the
        frames a switch is prepared; the commit does the rest. True when none is left."""
        start = time.perf_counter()
        carried = {id(s) for s in (self.pending or {}).values()}
        old_drawn = kind in DRAWS_OLD_ZONES
        left = [s for s in self.zones.values() if s.holders and (old_drawn or id(s) in carried)]
        for n, surf in enumerate(left):
            if n and limit_s is not None and time.perf_counter() - start >= limit_s:
                return False
            self._unsettle(surf)
        return True

    def commit_pending(self, background: tuple[int, int, int, int] | None, kind: str = "cut") -> None:
        """Install the prepared zones at this frame boundary. With a transition (`kind` not "cut"),
        the previous zones and the picture each panel showed are kept for it (release_old() when it
        ends)."""
        assert self.pending is not None
        self.release_old()
        keep_old = kind != "cut"
        shared_ids = {id(s) for s in self.pending.values()}
        for surf in list(self.zones.values()):
            if surf.holders and (kind in DRAWS_OLD_ZONES or id(surf) in shared_ids):
                self._unsettle(surf)  # (ready_zones left it: the panel is about to be drawn again)
        if keep_old:
            for out in self.outputs.values():
                self._capture_before(out)
            self._mixing.clear()  # the pictures of the transition this one replaces
            self._spot_unders.clear()
        shared = {id(s) for s in self.pending.values()}
        if keep_old:
            self._changed = self._changed_rects(shared, background)
            self.old_zones = {zid: s for zid, s in self.zones.items()}
            self.old_order = list(self.order)
            self._old_shared = shared
        else:
            for surf in self.zones.values():
                if id(surf) not in shared:
                    surf.release()
                    surf.holders = ()
            give_back_memory()  # the zones a cut left
        self.zones, self.order, self._holders = self.pending, self.pending_order, {}
        self.pending, self.pending_order = None, []
        if background is not None:
            self.background = tuple(c / 255.0 for c in background)
        for out in self.outputs.values():
            out.drawn.clear()
            out.needs_clear = True

    def _changed_rects(self, shared: set[int], background: tuple[int, int, int, int] | None) -> list[Rect]:
        """Where the outgoing picture can differ from the incoming one (before the switch is installed)."""
        canvas = Rect(0, 0, self.wall.canvas_w, self.wall.canvas_h)
        if background is not None and tuple(c / 255.0 for c in background) != self.background:
            return [canvas]
        assert self.pending is not None
        current = {id(s) for s in self.zones.values()}
        rects = [s.zone.rect for s in self.zones.values() if id(s) not in shared]
        rects += [s.zone.rect for s in self.pending.values() if id(s) not in current]
        return [r.intersect(canvas) for r in rects if not r.intersect(canvas).empty]

    def release_old(self) -> None:
        shared = getattr(self, "_old_shared", set()) | {id(s) for s in self.zones.values()}
        for surf in self.old_zones.values():
            if id(surf) not in shared:
                surf.release()
                surf.holders = ()  # (a zone the transition did not draw: still settled, in no panel now)
        self.old_zones, self.old_order = {}, []
        self._old_shared = set()

    def _capture_before(self, out: Output) -> None:
        if out.shown == "before":
            return  # the panel shows the captured picture already (a switch on a transition's first frame)
        tex, fbo = out.shown_target
        if out.before is None:
            t = self.ctx.texture(out.display.resolution, 4)
            out.before = (t, self.ctx.framebuffer([t]))
        w, h = out.display.resolution
        if self.use_blit:
            gl.blit(fbo, out.before[1], 0, 0, w, h, 0, 0)
        else:
            self.ctx.copy_framebuffer(out.before[1], fbo)

    def turn_for(self, rect: Rect) -> int:
        """Quarter turns for the pictures of a zone at `rect`: the rotation of the one panel it lies
        in, when that panel is rotated (its pictures are then copied 1:1, like an unrotated panel's);
        0 for every other zone."""
        if not self.use_blit:
            return 0
        inside = [d for d in self.wall.displays if rect.intersects(d.viewport)]
        if len(inside) != 1 or inside[0].rotation % 360 == 0 or rect.intersect(inside[0].viewport) != rect:
            return 0
        return (inside[0].rotation // 90) % 4

    def upload(
        self, zone_id: str, pixels: np.ndarray, strip: bool = False, pending: bool = False, turn: int = 0
    ) -> int:
        """New content for a zone: (h, w, 4) uint8 RGBA, row 0 at the top. Returns bytes sent.
        `strip`: a scrolling zone's strip, which may be wider than the zone (its period).
        `pending`: for the scenario being prepared (begin_pending), not the one shown.
        `turn`: the picture is turned that many quarters (`turn_for`), its width and height swapped
        for an odd number."""
        surf = (self.pending or {}).get(zone_id) if pending else self.zones.get(zone_id)
        if surf is None:
            return 0  # the zone left the layout while its paint was in flight
        h, w = pixels.shape[:2]
        # (h, w) of the picture as turned: a strip is longer along the zone's width, which a quarter
        # turn makes the picture's height
        across, along = (w, h) if turn % 2 else (h, w)
        if across != surf.zone.rect.h or along < surf.zone.rect.w or (along != surf.zone.rect.w and not strip):
            return 0  # painted for an older size of this zone
        if surf.holders and not strip and turn == 0 and (h, w) == (surf.zone.rect.h, surf.zone.rect.w):
            # its pixels live in its panels' pictures (and behind their bezels): the new ones go
            # there, and nowhere else
            rect = surf.zone.rect
            for out, part, (bx, by, _, _) in self._in_panels(zone_id, surf):
                _write_part(out.texture, pixels, part.translate(-rect.x, -rect.y), bx, by)
            for part, tex, _ in surf.hidden:
                _write_part(tex, pixels, part.translate(-rect.x, -rect.y), 0, 0)
            return pixels.nbytes
        if surf.holders:
            self._unsettle(surf)  # a picture of another shape: a texture of its own again
        if surf._texture is None or w != surf._texture.width or h != surf._texture.height or turn != surf.turn:
            surf.attach(self.ctx, pixels, strip)  # its first picture, a strip of another period, another turn
            surf.turn = turn
        else:
            surf.texture.write(np.ascontiguousarray(pixels))
        surf.version += 1
        return pixels.nbytes

    def _in_panels(self, zone_id: str, surf: ZoneSurface) -> list[tuple[Output, Rect, Box]]:
        """A zone kept in its panels' pictures changes there (the caller writes each part: a panel,
        the zone's canvas rectangle on it, that rectangle in the panel's pixels): a new version, drawn
        as it is, and each part its panel's damage at its next frame."""
        surf.version += 1
        parts = []
        for holder in surf.holders:
            out = self.outputs[holder]
            part = surf.zone.rect.intersect(out.display.viewport)
            box = _native_rect(out.display, part)
            out.drawn[zone_id] = surf.state
            out.written.append(box)
            parts.append((out, part, box))
        return parts

    def reset_zone(self, zone_id: str) -> None:
        """A fresh texture for a zone whose last upload failed (its old one may be in any state)."""
        surf = self.zones.get(zone_id)
        if surf is None:
            return
        try:
            surf.release()  # made again with its next picture
        except Exception:  # a broken texture may not even release cleanly; a new one is what matters
            surf._texture = surf._fbo = None
            surf.hidden = []
        surf.version, surf.offset, surf.holders = 0, 0, ()

    def blank_zone(self, zone_id: str) -> None:
        """Clear a zone to the background at once (its new content is on the way): what it showed
        must not stay on screen another frame (an operator hid a post)."""
        surf = self.zones.get(zone_id)
        if surf is None or surf.version == 0:
            return
        if surf.holders:
            for out, _, box in self._in_panels(zone_id, surf):
                out.fbo.use()
                out.fbo.scissor = box
                out.fbo.clear(*self.background)
                out.fbo.scissor = None
                out.written.append(box)  # (windows show a panel's damage; a mix reads it back again)
            for _, _, fbo in surf.hidden:
                fbo.use()
                fbo.clear(*self.background)
            # bound last: a panel's, which outlives them (moderngl binds its last-used framebuffer
            # again after making one; a released one's name is then an invalid operation)
            self.outputs[surf.holders[0]].fbo.use()
            return
        surf.fbo.use()
        surf.fbo.scissor = None
        surf.fbo.clear(*self.background)
        surf.version += 1

    def scroll(self, zone_id: str, offset: float) -> None:
        """Set a scrolling zone's offset (canvas pixels; wrapped to the strip's period)."""
        surf = self.zones.get(zone_id)
        if surf is not None and surf.version > 0:
            surf.offset = int(round(offset)) % surf.period

    def has_content(self, zone_id: str) -> bool:
        surf = self.zones.get(zone_id)
        return surf is not None and surf.version > 0

    # ----------------------------------------------------------------- composing

    def compose(self, post: PostEffects | None = None) -> ComposeStats:
        stats = ComposeStats()
        for out in self.outputs.values():
            self._compose_output(out, stats)
            if post is not None and (post.transition or post.night):
                self._post(out, post, stats)
            elif out.shown != "main":
                out.shown = "main"  # the post stage ended: the panel shows the composited picture again
                out.night_key = None
                out.damage = [(0, 0, *out.display.resolution)]
        if self._mix_jobs:
            assert post is not None
            self._mix_on_cpu(post.progress)
        if self._spot_jobs:
            self._spot_on_cpu()
        if post is None or not post.transition:
            self._mixing.clear()
            self._spot_unders.clear()
            self._spot_source = None
            if self.old_zones:
                self.release_old()
            if self.pending is None and (self.release_targets() | self._settle_zones()):
                # the driver frees textures with free(): pages of a large free block stay with the
                # process until malloc gives them back, which it does off this thread
                give_back_memory()
        return stats

    def _settle_zones(self) -> bool:
        """Give back the texture of each zone whose picture the composited pictures of its panels
        hold pixel for pixel: a zone on unrotated panels that no other zone overlaps and that is not
        a scrolling strip, drawn there. A zone across panels keeps the parts behind their bezels in
        textures of their own first (a few columns or rows: a slide shows them). Its next pictures
        are written into the panels' pictures directly (`upload`); a switch copies it back into a
        texture of its own first (`ready_zones`). On the demo wall this gives back 44 of 52 MB of
        zone textures, and 9 MB more for the crisis banner across three panels. Called when the
        wall is still: no transition, no switch prepared. True if any was given back."""
        if not self._settles:
            return False
        settled = False
        for zid, surf in self.zones.items():
            if surf._texture is None or surf.version == 0 or surf.turn or surf.period != surf.zone.rect.w:
                continue
            holders = self._holders_of(surf.zone)
            if not holders or any(self.outputs[h].drawn.get(zid) != surf.state for h in holders):
                continue
            hidden = []
            for part in self._behind_bezels(surf.zone, holders):
                x, y = part.x - surf.zone.rect.x, part.y - surf.zone.rect.y
                tex, fbo = self._new_picture((part.w, part.h))
                gl.blit(surf.fbo, fbo, x, y, part.w, part.h, 0, 0)
                hidden.append((part, tex, fbo))
            surf.release()
            surf.hidden, surf.holders = hidden, holders
            settled = True
        return settled

    def _holders_of(self, zone: Zone) -> tuple[str, ...]:
        """The displays whose pictures hold `zone` pixel for pixel, if they do: each shows its part
        of the zone 1:1, and no other zone of the layout overlaps it (nothing is drawn over or under
        it). Worked out once per layout (the zones installed: set_zones, commit_pending)."""
        if zone.id not in self._holders:
            self._holders[zone.id] = self._find_holders(zone)
        return self._holders[zone.id]

    def _find_holders(self, zone: Zone) -> tuple[str, ...]:
        if any(z.zone is not zone and z.zone.rect.intersects(zone.rect) for z in self.zones.values()):
            return ()
        holders = []
        for d in self.wall.displays:
            part = zone.rect.intersect(d.viewport)
            if part.empty:
                continue
            box = _native_rect(d, part)
            if (box[2], box[3]) != (part.w, part.h):
                return ()  # a panel that scales its part: its picture does not hold the zone's pixels
            holders.append(d.id)
        return tuple(holders)

    def _behind_bezels(self, zone: Zone, holders: tuple[str, ...]) -> list[Rect]:
        """The rectangles of `zone` that none of its panels shows (the canvas behind their bezels):
        the cells of the grid that the zone's and the panels' edges draw that lie outside every
        panel (a cell is inside a panel or outside all), side by side ones joined into one."""
        parts = [zone.rect.intersect(self.outputs[h].display.viewport) for h in holders]
        r = zone.rect
        xs = sorted({r.x, r.x1, *(x for p in parts for x in (p.x, p.x1))})
        ys = sorted({r.y, r.y1, *(y for p in parts for y in (p.y, p.y1))})
        hidden: list[Rect] = []
        for y0, y1 in zip(ys, ys[1:], strict=False):
            run: Rect | None = None
            for x0, x1 in zip(xs, xs[1:], strict=False):
                cell = Rect(x0, y0, x1 - x0, y1 - y0)
                if any(cell.intersects(p) for p in parts):
                    run = None
                elif run is not None:  # the one before it, in this row, was hidden too
                    run = hidden[-1] = Rect(run.x, y0, x1 - run.x, y1 - y0)
                else:
                    run = cell
                    hidden.append(cell)
        return hidden

    def _unsettle(self, surf: ZoneSurface) -> None:
        """A texture for a zone again, with the pixels its panels' pictures hold of it, and those
        kept of the parts behind their bezels."""
        assert surf.holders
        rect = surf.zone.rect
        surf._texture, surf._fbo = self._new_picture((rect.w, rect.h))
        for holder in surf.holders:
            out = self.outputs[holder]
            part = rect.intersect(out.display.viewport)
            x, y, w, h = _native_rect(out.display, part)
            gl.blit(out.fbo, surf._fbo, x, y, w, h, part.x - rect.x, part.y - rect.y)
        for part, _, fbo in surf.hidden:
            gl.blit(fbo, surf._fbo, 0, 0, part.w, part.h, part.x - rect.x, part.y - rect.y)
        surf.release_hidden()
        surf.holders = ()

    # ----------------------------------------------------------------- post stage

    def _target(self, out: Output, which: str) -> tuple[moderngl.Texture, moderngl.Framebuffer]:
        pair = getattr(out, which)
        if pair is None:
            pair = self._new_picture(out.display.resolution)  # read 1:1 (crossfade, wipe, night)
            setattr(out, which, pair)
        return pair

    def _new_picture(self, size: tuple[int, int]) -> tuple[moderngl.Texture, moderngl.Framebuffer]:
        """An empty texture of `size` (w, h), sampled nearest (it is only ever read 1:1), and its framebuffer."""
        tex = self.ctx.texture(size, 4)
        tex.filter = (moderngl.NEAREST, moderngl.NEAREST)
        return tex, self.ctx.framebuffer([tex])

    def _ready_post_stage(self) -> None:
        """Draw through each post program once, into a scratch target of a few pixels.

        llvmpipe compiles a program's variant on its first draw: without this, the first
        transition's first frame would take nearly a second, in front of the room, at the moment
        everyone looks at the wall. The output-sized targets are made by `ready_targets` while a
        switch is prepared, and given back when its transition ends (two per display: 16 MB a
        1080p panel, 100 MB for six, otherwise held by a wall that spends most of its hours still)."""
        out = next(iter(self.outputs.values()), None)
        if out is None:
            return
        scratch = self.ctx.texture((4, 4), 4)
        fbo = self.ctx.framebuffer([scratch])
        one = Rect(out.display.viewport.x, out.display.viewport.y, 1, 1)
        pixel = (0, 0, 1, 1)  # one pixel of each draw: enough for the driver to compile it
        self._quad(out, fbo, scratch, one, (0.0, 0.0, 1.0, 1.0), linear=True, scissor=pixel)
        self._quad(out, fbo, scratch, one, (0.0, 0.0, 1.0, 1.0), linear=True, alpha=0.5, scissor=pixel)
        self._quad(out, fbo, scratch, one, (0.0, 0.0, 1.0, 1.0), native_uv=True, alpha=0.5, scissor=pixel)
        self._quad(out, fbo, scratch, one, (0.0, 0.0, 1.0, 1.0), native_uv=True, scissor=pixel)
        self.ctx.finish()
        out.fbo.use()  # the framebuffer moderngl rebinds next must not be the scratch one (see release_targets)
        fbo.release()
        scratch.release()

    def ready_targets(self, limit_s: float | None, kind: str = "") -> bool:
        """Make the targets a transition of `kind` draws into (each panel's captured picture first,
        then its post target), for up to `limit_s` of this frame (None: all of them; at least one a
        call). Called on the frames a switch is being prepared, so its transition allocates nothing:
        on llvmpipe a 1080p target costs about 6 ms to make. On software GL a crossfade and a
        spotlight also work on the CPU (_mix_on_cpu, _spot_on_cpu), which needs pictures' worth of
        memory per panel and, for a spotlight, the canvas-sized picture it scales; made here too,
        and touched, since the first use of fresh memory costs its page faults (the first crossfade
        of a wall took 100-160 ms on its first frame). True when all are made."""
        start = time.perf_counter()
        made = 0

        def over() -> bool:
            return bool(made) and limit_s is not None and time.perf_counter() - start >= limit_s

        self._start_memory(kind)  # first: it is made on a thread of its own meanwhile
        for which in ("before", "post"):
            for out in self.outputs.values():
                if getattr(out, which) is not None:
                    continue
                if over():
                    return False
                self._target(out, which)
                made += 1
        self._install_memory(wait=False)
        if self._cpu_making is not None:
            return False
        if kind in ("zoom_in", "zoom_out") and self.cpu_scale:
            big = self._spotlit(kind, committed=False)
            fresh = self._spot_source is None or self._spot_source[:2] != (big, getattr(big, "version", 0))
            if big is not None and not big.holders and big.turn == 0 and big.period == big.zone.rect.w and fresh:
                if over():
                    return False
                self._spot_picture(big)  # read back now, not on the spotlight's first frame
        return True

    def _start_memory(self, kind: str) -> None:
        """Start making, on a mixing thread, the memory a transition of `kind` works with on the CPU
        and that is not made yet (none on a GPU, or for a slide or a wipe)."""
        if self._cpu_making is not None:
            return
        need = self._cpu_pictures(kind)
        panels = {
            out.display.id: (out.display.resolution, need - len(self._cpu_ready.get(out.display.id, [])))
            for out in self.outputs.values()
        }
        panels = {d: size_n for d, size_n in panels.items() if size_n[1] > 0}
        canvas = (self.wall.canvas_w, self.wall.canvas_h)
        source = kind in ("zoom_in", "zoom_out") and self.cpu_scale and self._source_ready is None
        if panels or source:
            self._cpu_making = self._mix_pool.submit(_make_memory, panels, canvas if source else None)

    def _install_memory(self, wait: bool) -> None:
        """Take the memory the mixing thread made (`_start_memory`), if it is made (`wait`: once it is)."""
        making = self._cpu_making
        if making is None or not (wait or making.done()):
            return
        self._cpu_making = None
        panels, source = making.result()
        for display_id, pictures in panels.items():
            self._cpu_ready.setdefault(display_id, []).extend(pictures)
        if source is not None and self._source_ready is None:
            self._source_ready = source

    @property
    def cpu_scale(self) -> bool:
        """Whether a spotlight is scaled by the CPU: on software GL, where Pillow allows it."""
        return self.cpu_mix and cpu_scale.available()

    def _cpu_pictures(self, kind: str) -> int:
        """Panel-sized pictures a transition of `kind` works with on the CPU, per panel."""
        if kind == "crossfade" and self.cpu_mix:
            return 3  # before, after, mixed
        if kind in ("zoom_in", "zoom_out") and self.cpu_scale:
            return 2 if kind == "zoom_out" else 1  # scaled (and the picture it fades over)
        return 0

    def release_targets(self) -> bool:
        """Give back the transition targets (the night filter keeps its own), and the memory made for
        the CPU's part of a transition. True if any was held."""
        # (compose() dropped the pictures mixed or scaled before it calls this)
        cpu = bool(self._cpu_ready) or self._source_ready is not None or self._cpu_making is not None
        self._cpu_ready.clear()
        self._source_ready = self._cpu_making = None  # (memory still being made is dropped once made)
        held = [(out, which) for out in self.outputs.values() for which in ("post", "before") if getattr(out, which)]
        if not held:
            return cpu
        # moderngl rebinds the framebuffer last used whenever it makes another: that must not be one
        # deleted here (the next target made would fail with GL_INVALID_OPERATION)
        held[0][0].fbo.use()
        for out, which in held:
            tex, fbo = getattr(out, which)
            fbo.release()
            tex.release()
            setattr(out, which, None)
        return True

    def _post(self, out: Output, post: PostEffects, stats: ComposeStats) -> None:
        full = [(0, 0, *out.display.resolution)]
        picture_tex = out.texture
        if post.transition and post.progress <= 0.0 and post.kind in UNMOVED_AT_START and not post.night:
            # the commit frame of a transition: its first step is the picture the switch leaves,
            # already captured, so the panel shows that (the frame stays as cheap as a cut's)
            out.shown = "before" if out.before is not None else "main"
            out.damage = full
            return
        if post.transition:
            tex, fbo = self._target(out, "post")
            self._transition(out, post, fbo)
            picture_tex = tex
            out.shown = "post"
            out.damage = full
            stats.quads += 1
        else:
            out.shown = "main"
        if post.night:
            key = (post.gain, post.shift, out.shown, len(out.damage) > 0)
            if out.night_key is None or key[:3] != out.night_key[:3] or out.damage:
                ntex, nfbo = self._target(out, "night")
                nfbo.use()
                nfbo.scissor = None
                nfbo.clear(0.0, 0.0, 0.0, 1.0)
                vp = out.display.viewport
                shifted = Rect(vp.x + post.shift[0], vp.y + post.shift[1], vp.w, vp.h)
                self._quad(out, nfbo, picture_tex, shifted, (0.0, 0.0, 1.0, 1.0), native_uv=True, gain=post.gain)
                out.night_key = key
                out.damage = full
                stats.quads += 1
            else:
                out.damage = []  # nothing changed under the night filter: the panel keeps its picture
            out.shown = "night"

    def _transition(self, out: Output, post: PostEffects, fbo: moderngl.Framebuffer) -> None:
        """One frame of a transition into the post target `fbo`.

        On software GL a shaded pass over a whole 1080p output costs 10-25 times a blit (a memcpy),
        so a transition copies where it can: a slide is zone pictures copied at whole pixel
        offsets, a wipe two copies, a crossfade one copy of the new picture and, only over the zones
        that changed, a mix (by the CPU on software GL: _mix_on_cpu; elsewhere a 1:1 blended pass),
        a spotlight a copy of the picture under it and one scaled pass over the growing rectangle.
        Rotated panels (no 1:1 copy of canvas rectangles)
        take the shaded path for slides."""
        w, h = out.display.resolution
        vp = out.display.viewport
        p = max(0.0, min(1.0, post.progress))
        before = out.before
        if post.kind == "slide":
            fbo.use()
            fbo.scissor = None
            fbo.clear(*self.background)
            dx_old = -round(p * self.wall.canvas_w)
            dx_new = dx_old + self.wall.canvas_w
            copies = out.display.rotation == 0 and self.use_blit
            for zones, order, dx in ((self.old_zones, self.old_order, dx_old), (self.zones, self.order, dx_new)):
                for zid in order:
                    surf = zones.get(zid)
                    if surf is None or surf.version == 0:
                        continue
                    r = surf.zone.rect
                    moved = Rect(r.x + dx, r.y, r.w, r.h)
                    seen = moved.intersect(vp)
                    if seen.empty:
                        continue
                    if copies:
                        self._copy_zone(surf, seen, fbo, vp, dx)
                    else:
                        u0 = surf.offset / surf.period
                        uv = (u0, 0.0, u0 + r.w / surf.period, 1.0)
                        self._quad(out, fbo, surf.texture, moved, uv, turn=surf.turn)
            return
        if post.kind in ("zoom_in", "zoom_out") and post.rect is not None and before is not None:
            self._spotlight(out, post, fbo)
            return
        # the others start from the new picture (not a crossfade that changes all of this panel)
        whole = post.kind == "crossfade" and before is not None and any(r.intersect(vp) == vp for r in self._changed)
        if not whole:
            if self.use_blit:
                gl.blit(out.fbo, fbo, 0, 0, w, h, 0, 0)
            else:
                self.ctx.copy_framebuffer(fbo, out.fbo)
        if before is None:
            return
        if post.kind == "crossfade":
            # only where the two pictures can differ: the outgoing picture (a copy), the new one
            # over it 1:1 with alpha p (a blended pass, nearest sampling: llvmpipe's cheapest)
            # (a zone that changed in place is in _changed twice: old and new)
            boxes = list(
                dict.fromkeys(_native_rect(out.display, s) for r in self._changed if not (s := r.intersect(vp)).empty)
            )
            if self.cpu_mix and not post.night:  # (the night filter reads the post target in this pass)
                # mixed on the CPU after every panel is composed (compose: _mix_on_cpu); what the
                # compositor redrew of the new picture this frame is read back again
                self._mix_jobs.append((out, boxes, list(out.damage)))
                return
            for box in boxes:
                if self.use_blit:
                    gl.blit(before[1], fbo, *box, box[0], box[1])
                else:
                    self._quad(out, fbo, before[0], vp, (0.0, 0.0, 1.0, 1.0), native_uv=True, scissor=box)
                self._quad(out, fbo, out.texture, vp, (0.0, 0.0, 1.0, 1.0), native_uv=True, alpha=p, scissor=box)
        elif post.kind == "wipe":
            # the new scenario is revealed left to right across the whole wall, bezels included
            front = round(p * self.wall.canvas_w)
            rest = Rect(front, 0, self.wall.canvas_w - front, self.wall.canvas_h).intersect(vp)
            if not rest.empty:
                x, y, rw, rh = _native_rect(out.display, rest)
                if self.use_blit:
                    gl.blit(before[1], fbo, x, y, rw, rh, x, y)

    def _spotlight(self, out: Output, post: PostEffects, fbo: moderngl.Framebuffer) -> None:
        """One frame of a spotlight on a panel: the full-canvas zone grows out of its rectangle over
        the picture the switch left (zoom in), or shrinks back into it over the new picture, fading
        (zoom out). The picture under it is copied; where the CPU scales the zone (software GL,
        _spot_on_cpu) only around the rectangle it will cover, since its upload replaces that;
        elsewhere a shaded pass draws the zone over the copy."""
        assert out.before is not None and post.rect is not None
        w, h = out.display.resolution
        vp = out.display.viewport
        p = max(0.0, min(1.0, post.progress))
        canvas = Rect(0, 0, self.wall.canvas_w, self.wall.canvas_h)
        big = self._spotlit(post.kind, committed=True)
        if post.kind == "zoom_in":
            under, a, b, alpha = out.before[1], post.rect, canvas, 1.0
        else:
            under, a, b, alpha = out.fbo, canvas, post.rect, 1.0 - p * p
        r = _lerp_rect(a, b, p)
        seen = r.intersect(vp)
        if big is not None and not seen.empty and self._scales_on_cpu(out, big, seen, post):
            box = _native_rect(out.display, seen)
            for x, y, bw, bh in _around((0, 0, w, h), box):
                gl.blit(under, fbo, x, y, bw, bh, x, y)
            # scaled by the CPU after every panel is composed (compose: _spot_on_cpu); a fading
            # picture is mixed over the new one, kept read back from GL (damage: what was redrawn)
            self._spot_jobs.append((out, big, r, seen, alpha, list(out.damage)))
            return
        if self.use_blit:
            gl.blit(under, fbo, 0, 0, w, h, 0, 0)
        else:
            self.ctx.copy_framebuffer(fbo, under)
        if big is not None and not seen.empty:
            self._quad(out, fbo, big.texture, r, (0.0, 0.0, 1.0, 1.0), alpha=alpha, linear=True, turn=big.turn)

    def _mix_on_cpu(self, progress: float) -> None:
        """This frame's crossfade on every panel that has one, mixed by the CPU (cpu_mix.py) and
        uploaded into the panels' post targets. A panel's pictures are read back from GL on the
        transition's first mixed frame; afterwards only what the compositor redrew of the new one."""
        jobs, self._mix_jobs = self._mix_jobs, []
        k = max(0, min(256, round(progress * 256)))
        work = []
        for out, boxes, damage in jobs:
            held = self._mixing.setdefault(out.display.id, {})
            for box in boxes:
                pictures = held.get(box)
                first = pictures is None
                if pictures is None:
                    assert out.before is not None
                    pictures = held[box] = self._mix_memory(out, box)
                    out.before[1].read_into(pictures[0], viewport=box, components=4, alignment=1)
                _read_back(out.fbo, pictures[1], box, None if first else damage)
                work.append((out, box, pictures))
        running = self._mix_pool.mix([pictures for _, _, pictures in work], k)
        # each panel goes up as soon as it is mixed, while the threads mix the next
        for (out, box, pictures), pieces in zip(work, running, strict=True):
            for piece in pieces:
                piece.result()
            self._target(out, "post")[0].write(pictures[2], viewport=box)

    def _mix_memory(self, out: Output, box: Box) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The (before, after, mixed) pictures of a rectangle a panel mixes: those `ready_targets`
        made for the whole panel when it is the whole panel, new ones otherwise."""
        self._install_memory(wait=True)
        held = self._cpu_ready.get(out.display.id, [])
        if box == (0, 0, *out.display.resolution) and len(held) >= 3:
            return held.pop(), held.pop(), held.pop()
        shape = (box[3], box[2], 4)
        return np.empty(shape, np.uint8), np.empty(shape, np.uint8), np.empty(shape, np.uint8)

    def _spotlit(self, kind: str, committed: bool) -> ZoneSurface | None:
        """The zone a spotlight grows (zoom_in: the one zone of the scenario it switches to) or
        shrinks (zoom_out: the one zone of the scenario it leaves), once painted; `committed`:
        whether the switch is installed yet (before, the zones are the pending and the shown ones)."""
        if kind == "zoom_in":
            zones = self.zones if committed else (self.pending or {})
        else:
            zones = self.old_zones if committed else self.zones
        return next((s for s in zones.values() if s.version > 0), None)

    def _scales_on_cpu(self, out: Output, big: ZoneSurface, seen: Rect, post: PostEffects) -> bool:
        """Whether this panel's part `seen` of a spotlit picture is scaled by the CPU: on software GL,
        an unrotated panel whose pixels are the canvas's, a picture in canvas orientation that is not
        a scrolling strip, and no night filter (which reads the post target in this pass)."""
        box = _native_rect(out.display, seen)
        return (
            not post.night
            and out.display.rotation % 360 == 0
            and (box[2], box[3]) == (seen.w, seen.h)
            and big.turn == 0
            and big.period == big.zone.rect.w
            and self.cpu_scale
        )

    def _spot_on_cpu(self) -> None:
        """This frame's spotlight on every panel the growing (or shrinking) picture covers, scaled by
        the CPU (cpu_scale.py) and uploaded into the panels' post targets, around which _spotlight
        copied the picture under it. A fading picture (zoom out) is mixed over the panel's new
        picture, read back from GL on its first fading frame, then only where it was redrawn."""
        jobs, self._spot_jobs = self._spot_jobs, []
        source = self._spot_picture(jobs[0][1])
        pieces = self._mix_pool.pieces(len(jobs))
        work = []
        for out, big, r, seen, alpha, damage in jobs:
            box = _native_rect(out.display, seen)
            k = round(alpha * 256)
            scaled = self._spot_memory(out, box)
            under = self._spot_under(out, damage) if k < 256 else None
            if under is not None:
                under = under[box[1] : box[1] + box[3], box[0] : box[0] + box[2]]
            w, h = big.texture.size
            sx, sy = w / r.w, h / r.h  # picture pixels per canvas pixel
            x0, y0 = (seen.x - r.x) * sx, (seen.y - r.y) * sy

            def piece(rows: slice, scaled=scaled, under=under, x0=x0, y0=y0, sx=sx, sy=sy, k=k) -> None:
                if under is None:
                    cpu_scale.scale_into(source, scaled[rows], x0, y0 + rows.start * sy, sx, sy)
                    return
                # a band at a time, mixed while its scaled rows are still in the core's cache
                for y in range(rows.start, rows.stop, BAND_ROWS):
                    band = slice(y, min(rows.stop, y + BAND_ROWS))
                    cpu_scale.scale_into(source, scaled[band], x0, y0 + y * sy, sx, sy)
                    mix_rows(under, scaled, scaled, k, band)

            work.append((out, box, scaled, self._mix_pool.rows(box[3], pieces, piece)))
        # each panel goes up as soon as it is scaled, while the threads scale the next
        for out, box, scaled, running in work:
            for part in running:
                part.result()
            self._target(out, "post")[0].write(scaled, viewport=box)

    def _spot_picture(self, big: ZoneSurface) -> Any:
        """The spotlit zone's picture as a Pillow image over its pixels, read back from GL the first
        time and whenever the zone was painted again."""
        held = self._spot_source
        if held is not None and held[0] is big and held[1] == big.version:
            return held[3]
        w, h = big.texture.size
        pixels = held[2] if held is not None and held[2].shape == (h, w, 4) else None
        if pixels is None:
            self._install_memory(wait=True)
            ready = self._source_ready
            pixels = ready if ready is not None and ready.shape == (h, w, 4) else np.empty((h, w, 4), np.uint8)
        big.fbo.read_into(pixels, components=4, alignment=1)
        image = cpu_scale.picture(pixels)
        self._spot_source = (big, big.version, pixels, image)
        return image

    def _spot_memory(self, out: Output, box: Box) -> np.ndarray:
        """The scaled picture of a panel's spotlit rectangle `box`: a view of panel-sized memory
        `ready_targets` made (new memory where it made none)."""
        self._install_memory(wait=True)
        held = self._cpu_ready.setdefault(out.display.id, [])
        if not held:
            w, h = out.display.resolution
            held.append(np.empty((h, w, 4), np.uint8))
        size = box[2] * box[3] * 4  # the first rows of a panel-sized picture, as the box's own shape
        return held[0].reshape(-1)[:size].reshape(box[3], box[2], 4)

    def _spot_under(self, out: Output, damage: list[Box]) -> np.ndarray:
        """The panel's new picture, which a shrinking spotlight fades over: read back whole on the
        first fading frame (into the second picture `ready_targets` made), then only `damage`."""
        w, h = out.display.resolution
        under = self._spot_unders.get(out.display.id)
        first = under is None
        if under is None:
            held = self._cpu_ready.get(out.display.id, [])
            under = self._spot_unders[out.display.id] = held.pop() if len(held) > 1 else np.empty((h, w, 4), np.uint8)
        _read_back(out.fbo, under, (0, 0, w, h), None if first else damage)
        return under

    def _quad(
        self,
        out: Output,
        fbo: moderngl.Framebuffer,
        texture: moderngl.Texture,
        canvas_rect: Rect,
        uv: tuple[float, float, float, float],
        native_uv: bool = False,
        alpha: float = 1.0,
        gain: float = 1.0,
        linear: bool = False,
        scissor: tuple[int, int, int, int] | None = None,
        turn: int = 0,
    ) -> None:
        """Draw `texture` (its uv rectangle u0, v0, u1, v1) over the canvas rectangle `canvas_rect`,
        clipped to the output (and to `scissor`, native pixels). native_uv: the texture is an output
        picture (already in the panel's orientation), so it maps to the output's native corners, not
        the canvas corners. An alpha below 1 blends with what the target holds."""
        d = out.display
        r = canvas_rect
        corners = [(r.x, r.y), (r.x1, r.y), (r.x1, r.y1), (r.x, r.y1)]
        if native_uv:
            # an output picture shifted by (r.x - vp.x, r.y - vp.y) canvas px, in native terms
            ox, oy = _canvas_to_native(d, r.x, r.y)
            bx, by = _canvas_to_native(d, d.viewport.x, d.viewport.y)
            dx, dy = ox - bx, oy - by
            w, h = d.resolution
            native = [(0 + dx, 0 + dy), (w + dx, 0 + dy), (w + dx, h + dy), (0 + dx, h + dy)]
            uvs = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
        else:
            native = [_canvas_to_native(d, cx, cy) for cx, cy in corners]
            u0, v0, u1, v1 = uv
            uvs = [_turned_uv(s, t, turn) for s, t in ((u0, v0), (u1, v0), (u1, v1), (u0, v1))]
        verts = []
        for i in (0, 1, 2, 0, 2, 3):
            verts.extend([native[i][0], native[i][1], uvs[i][0], uvs[i][1]])
        self._post_vbo.write(np.array(verts, dtype="f4").tobytes())
        fbo.use()
        fbo.scissor = scissor
        old_filter = texture.filter
        if linear:
            texture.filter = (moderngl.LINEAR, moderngl.LINEAR)
        texture.use(0)
        prog = self._post_prog
        prog["u_output_size"].value = (float(d.resolution[0]), float(d.resolution[1]))
        prog["u_gain"].value = gain
        prog["u_alpha"].value = alpha
        prog["u_tex"].value = 0
        if alpha < 1.0:
            self.ctx.enable(moderngl.BLEND)
            self.ctx.blend_func = moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA
        self._post_vao.render(moderngl.TRIANGLES)
        if alpha < 1.0:
            self.ctx.disable(moderngl.BLEND)
        fbo.scissor = None
        if linear:
            texture.filter = old_filter

    def _compose_output(self, out: Output, stats: ComposeStats) -> None:
        vp = out.display.viewport
        out.damage, out.written = out.written, []  # (what uploads wrote into it directly since the last frame)
        stats.pixels += sum(w * h for _, _, w, h in out.damage)
        if out.needs_clear:
            for surf in self.zones.values():
                if out.display.id in surf.holders:
                    self._unsettle(surf)  # its pixels are about to be cleared away
            out.fbo.use()
            out.fbo.scissor = None
            out.fbo.clear(*self.background)
            out.needs_clear = False
            out.drawn.clear()  # every zone is drawn again, whatever an upload wrote here since
            stats.pixels += vp.w * vp.h
            out.damage.append((0, 0, *out.display.resolution))
        dirty = [
            zid
            for zid in self.order
            if self.zones[zid].version > 0
            and self.zones[zid].state != out.drawn.get(zid)
            and self.zones[zid].zone.rect.intersects(vp)
        ]
        for zid in dirty:
            region = self.zones[zid].zone.rect.intersect(vp)
            # the dirty zone, then every zone drawn above it that overlaps the region
            above = self.order[self.order.index(zid) :]
            for upper in above:
                surf = self.zones[upper]
                if surf.version == 0:
                    continue
                part = surf.zone.rect.intersect(region)
                if not part.empty:
                    try:
                        self._draw(out, surf, part, stats)
                    except Exception as exc:  # one zone's GL failure must not cost the frame
                        log.error("display %s, zone %s: drawing failed: %s", out.display.id, upper, exc)
            out.drawn[zid] = self.zones[zid].state
        # zones that do not meet this output are "drawn" by definition
        for zid in self.order:
            if not self.zones[zid].zone.rect.intersects(vp):
                out.drawn[zid] = self.zones[zid].state

    def _draw(self, out: Output, surf: ZoneSurface, part: Rect, stats: ComposeStats) -> None:
        """Draw the canvas rectangle `part` of zone `surf` onto output `out`."""
        d = out.display
        if d.id in surf.holders:
            return  # its pixels are this panel's already (and only there: _settle_zones)
        stats.pixels += part.w * part.h
        out.damage.append(_native_rect(d, part))
        if d.rotation == 0 and self.use_blit:
            stats.blits += self._copy_zone(surf, part, out.fbo, d.viewport)
            return
        if surf.turn and surf.turn == (d.rotation // 90) % 4 and self.use_blit:
            # a zone painted in this rotated panel's orientation: a copy in native pixels
            x, y, w, h = _native_rect(d, part)
            zx, zy, _, _ = _native_rect(d, surf.zone.rect)
            if surf.period == surf.zone.rect.w:
                gl.blit(surf.fbo, out.fbo, x - zx, y - zy, w, h, x, y)
                stats.blits += 1
            else:
                stats.blits += self._copy_turned_strip(surf, part, out.fbo, (x, y, w, h), x - zx)
            return
        self._draw_quad(out, surf, part)
        stats.quads += 1

    def _copy_turned_strip(
        self, surf: ZoneSurface, part: Rect, dst: moderngl.Framebuffer, native: tuple[int, int, int, int], sx: int
    ) -> int:
        """Copy a scrolling strip turned a quarter (its canvas columns are the texture's rows) into
        the native rectangle `native` of the part `part` of its zone: the strip's rows wrap around.
        `sx`: the first texture column (the part's canvas rows, as turned). Returns the blits made."""
        p = surf.period
        c0, c1 = part.x - surf.zone.rect.x, part.x1 - surf.zone.rect.x  # the part's zone columns
        x, y, w, h = native
        if surf.turn == 1:  # turned counterclockwise: column c is row P-1-(o+c), read bottom-up
            start = (p - 1 - (surf.offset + c1 - 1)) % p
        else:  # turned clockwise: column c is row o+c
            start = (surf.offset + c0) % p
        first = min(h, p - start)  # rows before the strip wraps around
        gl.blit(surf.fbo, dst, sx, start, w, first, x, y)
        if first < h:
            gl.blit(surf.fbo, dst, sx, 0, w, h - first, x, y + first)
            return 2
        return 1

    def _copy_zone(self, surf: ZoneSurface, seen: Rect, dst: moderngl.Framebuffer, vp: Rect, dx: int = 0) -> int:
        """Copy 1:1 what zone `surf`, moved `dx` canvas pixels to the right, shows in the canvas
        rectangle `seen` into `dst`, the picture of the unrotated output whose viewport is `vp`
        (a scrolling strip wraps around). Returns the blits made."""
        zx, zy = seen.x - (surf.zone.rect.x + dx), seen.y - surf.zone.rect.y
        ox, oy = seen.x - vp.x, seen.y - vp.y
        sx = (zx + surf.offset) % surf.period
        first = min(seen.w, surf.period - sx)  # columns before the strip wraps around
        gl.blit(surf.fbo, dst, sx, zy, first, seen.h, ox, oy)
        if first < seen.w:
            gl.blit(surf.fbo, dst, 0, zy, seen.w - first, seen.h, ox + first, oy)
            return 2
        return 1

    def _draw_quad(self, out: Output, surf: ZoneSurface, part: Rect) -> None:
        d = out.display
        zr = surf.zone.rect
        corners = [(part.x, part.y), (part.x1, part.y), (part.x1, part.y1), (part.x, part.y1)]
        native = [_canvas_to_native(d, cx, cy) for cx, cy in corners]
        # u runs over the texture's width (the strip period for scrolling zones, which repeat in x)
        uvs = [((cx - zr.x + surf.offset) / surf.period, (cy - zr.y) / zr.h) for cx, cy in corners]
        verts = []
        for i in (0, 1, 2, 0, 2, 3):
            verts.extend([native[i][0], native[i][1], uvs[i][0], uvs[i][1]])
        self._vbo.write(np.array(verts, dtype="f4").tobytes())
        xs = [p[0] for p in native]
        ys = [p[1] for p in native]
        out.fbo.use()
        out.fbo.scissor = (round(min(xs)), round(min(ys)), round(max(xs) - min(xs)), round(max(ys) - min(ys)))
        self._prog["u_output_size"].value = (float(d.resolution[0]), float(d.resolution[1]))
        surf.texture.use(0)
        self._prog["u_zone"].value = 0
        self._vao.render(moderngl.TRIANGLES)
        out.fbo.scissor = None

    # ----------------------------------------------------------------- reading back

    def read_output(self, display_id: str) -> np.ndarray:
        """The display's framebuffer as (h, w, 4) RGBA, row 0 at the top: what the panel shows."""
        out = self.outputs[display_id]
        w, h = out.display.resolution
        data = out.shown_target[1].read(components=4, alignment=1)
        return np.frombuffer(data, np.uint8).reshape(h, w, 4)

    def read_output_scaled(self, display_id: str, scale: float) -> np.ndarray:
        """The display's picture scaled down on the GPU first (a live preview reads a fraction of the
        pixels back: a full read of six 1080p outputs stalls the render thread for tens of ms)."""
        if scale >= 1.0 or not self.use_blit:
            return self.read_output(display_id)
        out = self.outputs[display_id]
        w, h = out.display.resolution
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        cached = getattr(out, "_preview", None)
        if cached is None or cached[0].size != size:
            if cached is not None:
                cached[1].release()
                cached[0].release()
            tex = self.ctx.texture(size, 4)
            cached = (tex, self.ctx.framebuffer([tex]))
            out._preview = cached
        gl.scaled_blit(out.shown_target[1].glo, cached[1].glo, (w, h), size)
        data = cached[1].read(components=4, alignment=1)
        return np.frombuffer(data, np.uint8).reshape(size[1], size[0], 4)

    def release(self) -> None:
        # moderngl rebinds the last framebuffer `use()`d (ctx.fbo) after creating any new one: bind
        # the default framebuffer (ctx.screen; 0 on headless contexts, which have none) before our
        # outputs are deleted, or the context's next framebuffer raises GL_INVALID_OPERATION.
        (self.ctx.screen if self.ctx.screen is not None else self.ctx.detect_framebuffer(0)).use()
        self.drop_pending()
        self.release_old()
        for surf in self.zones.values():
            surf.release()
        for out in self.outputs.values():
            out.release_extras()
            preview = getattr(out, "_preview", None)
            if preview is not None:
                preview[1].release()
                preview[0].release()
            out.fbo.release()
            out.texture.release()
        self._mix_pool.close()
        self._mixing.clear()
        self._spot_unders.clear()
        self._post_vao.release()
        self._post_vbo.release()
        self._post_prog.release()
        self._vao.release()
        self._vbo.release()
        self._prog.release()


def _make_memory(
    panels: dict[str, tuple[tuple[int, int], int]], canvas: tuple[int, int] | None
) -> tuple[dict[str, list[np.ndarray]], np.ndarray | None]:
    """Per display, `n` pictures of its (w, h) size, and a picture of the canvas's size if asked:
    touched (filled), since the first use of fresh memory costs its page faults, which a
    transition's first frame must not pay (a wall's first crossfade took 130-330 ms on it)."""
    pictures = {d: [np.ones((h, w, 4), np.uint8) for _ in range(n)] for d, ((w, h), n) in panels.items()}
    return pictures, None if canvas is None else np.ones((canvas[1], canvas[0], 4), np.uint8)


def _read_box(fbo: moderngl.Framebuffer, box: Box) -> np.ndarray:
    """The native rectangle `box` (x, y, w, h, row 0 at the top) of a framebuffer, as (h, w, 4) RGBA."""
    pixels = np.empty((box[3], box[2], 4), np.uint8)
    fbo.read_into(pixels, viewport=box, components=4, alignment=1)
    return pixels


def _read_back(fbo: moderngl.Framebuffer, copy: np.ndarray, box: Box, damage: list[Box] | None) -> None:
    """Keep `copy`, the native rectangle `box` of `fbo` read back, up to date: read all of it (damage
    None: its first read), or again only where `damage` (what was redrawn since) meets it."""
    if damage is None:
        fbo.read_into(copy, viewport=box, components=4, alignment=1)
        return
    for rect in damage:
        _refresh(fbo, copy, box, rect)


def _refresh(fbo: moderngl.Framebuffer, copy: np.ndarray, box: Box, rect: Box) -> None:
    """Read the part of native rectangle `rect` inside `box` again from `fbo` into `copy` (box's pixels)."""
    x0, y0 = max(box[0], rect[0]), max(box[1], rect[1])
    x1, y1 = min(box[0] + box[2], rect[0] + rect[2]), min(box[1] + box[3], rect[1] + rect[3])
    if x1 <= x0 or y1 <= y0:
        return
    copy[y0 - box[1] : y1 - box[1], x0 - box[0] : x1 - box[0]] = _read_box(fbo, (x0, y0, x1 - x0, y1 - y0))


def _around(whole: Box, box: Box) -> list[Box]:
    """The parts of rectangle `whole` outside `box` (inside it): up to four, none overlapping."""
    x, y, w, h = whole
    bx0, by0 = max(x, box[0]), max(y, box[1])
    bx1, by1 = min(x + w, box[0] + box[2]), min(y + h, box[1] + box[3])
    if bx1 <= bx0 or by1 <= by0:
        return [whole]
    parts = [
        (x, y, w, by0 - y),  # the rows before the box
        (x, by1, w, y + h - by1),  # the rows after it
        (x, by0, bx0 - x, by1 - by0),  # beside it, on either side
        (bx1, by0, x + w - bx1, by1 - by0),
    ]
    return [part for part in parts if part[2] > 0 and part[3] > 0]


def _turned_uv(s: float, t: float, turn: int) -> tuple[float, float]:
    """Where the point (s, t) of a picture (0..1, canvas orientation) is in that picture turned
    `turn` quarters counterclockwise (numpy's rot90), in texture coordinates."""
    k = turn % 4
    if k == 1:
        return t, 1.0 - s
    if k == 2:
        return 1.0 - s, 1.0 - t
    if k == 3:
        return 1.0 - t, s
    return s, t


def _lerp_rect(a: Rect, b: Rect, p: float) -> Rect:
    def lerp(u: float, v: float) -> int:
        return round(u + (v - u) * p)

    return Rect(lerp(a.x, b.x), lerp(a.y, b.y), max(1, lerp(a.w, b.w)), max(1, lerp(a.h, b.h)))


# rows of a zone's picture copied at a time into one panel's part of it: a few hundred KB (a
# whole part would be megabytes of short-lived copies per picture, a crisis banner's 9 MB)
_PART_BAND_BYTES = 256 * 1024


def _write_part(texture: moderngl.Texture, pixels: np.ndarray, part: Rect, x: int, y: int) -> None:
    """Write the rectangle `part` of `pixels` (h, w, 4) into `texture` at (x, y). A part narrower
    than the picture is not contiguous and GL takes only whole rows: it goes in bands of rows."""
    if part.x == 0 and part.w == pixels.shape[1]:  # whole rows: a view of them is contiguous
        texture.write(np.ascontiguousarray(pixels[part.y : part.y1]), viewport=(x, y, part.w, part.h))
        return
    rows = max(1, _PART_BAND_BYTES // (part.w * 4))
    for top in range(0, part.h, rows):
        n = min(rows, part.h - top)
        band = np.ascontiguousarray(pixels[part.y + top : part.y + top + n, part.x : part.x1])
        texture.write(band, viewport=(x, y + top, part.w, n))


def _native_rect(d: Display, part: Rect) -> tuple[int, int, int, int]:
    """A canvas rectangle of display d as (x, y, w, h) in its native framebuffer (top-left origin)."""
    xs, ys = zip(*(_canvas_to_native(d, cx, cy) for cx, cy in ((part.x, part.y), (part.x1, part.y1))), strict=True)
    x0, y0 = int(min(xs)), int(min(ys))
    return x0, y0, int(max(xs)) - x0, int(max(ys)) - y0


def _canvas_to_native(d: Display, cx: float, cy: float) -> tuple[float, float]:
    """Inverse of Display.native_to_canvas."""
    w, h = d.resolution
    x, y = cx - d.viewport.x, cy - d.viewport.y
    r = d.rotation
    if r == 0:
        return x, y
    if r == 90:
        return y, h - x
    if r == 180:
        return w - x, h - y
    return w - y, x
