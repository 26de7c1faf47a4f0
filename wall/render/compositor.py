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
from dataclasses import dataclass, field

import moderngl
import numpy as np

from ..geometry import Display, Rect, Wall
from ..layout import Zone
from . import gl

log = logging.getLogger("wall.render")


@dataclass
class ZoneSurface:
    zone: Zone
    texture: moderngl.Texture
    fbo: moderngl.Framebuffer
    version: int = 0  # bumped on every upload; 0 = nothing painted yet
    offset: int = 0  # scroll position in strip columns (scrolling zones only)

    @property
    def period(self) -> int:
        return self.texture.width

    @property
    def state(self) -> tuple[int, int]:
        """What an output must have drawn to be up to date with this zone."""
        return self.version, self.offset

    def release(self) -> None:
        self.fbo.release()
        self.texture.release()


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
        self.outputs: dict[str, Output] = {}
        for d in wall.displays:
            tex = ctx.texture(d.resolution, 4)
            self.outputs[d.id] = Output(d, tex, ctx.framebuffer([tex]))

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
                tex = self.ctx.texture((z.rect.w, z.rect.h), 4)
                tex.filter = (moderngl.NEAREST, moderngl.NEAREST)
                keep[z.id] = ZoneSurface(z, tex, self.ctx.framebuffer([tex]))
        for zid, surf in self.zones.items():
            if keep.get(zid) is not surf:
                surf.release()
        self.zones = keep
        self.order = [z.id for z in sorted(zones, key=lambda z: z.z)]
        for out in self.outputs.values():
            out.drawn.clear()
            out.needs_clear = True

    def upload(self, zone_id: str, pixels: np.ndarray, strip: bool = False) -> int:
        """New content for a zone: (h, w, 4) uint8 RGBA, row 0 at the top. Returns bytes sent.
        `strip`: a scrolling zone's strip, which may be wider than the zone (its period)."""
        surf = self.zones.get(zone_id)
        if surf is None:
            return 0  # the zone left the layout while its paint was in flight
        h, w = pixels.shape[:2]
        if h != surf.zone.rect.h or w < surf.zone.rect.w or (w != surf.zone.rect.w and not strip):
            return 0  # painted for an older size of this zone
        if w != surf.texture.width:
            # a scrolling strip of another period: a texture of that width (repeating in x, for quads)
            surf.release()
            surf.texture = self.ctx.texture((w, h), 4)
            surf.texture.filter = (moderngl.NEAREST, moderngl.NEAREST)
            surf.texture.repeat_x = True
            surf.fbo = self.ctx.framebuffer([surf.texture])
            surf.offset %= w
        surf.texture.write(np.ascontiguousarray(pixels))
        surf.version += 1
        return pixels.nbytes

    def reset_zone(self, zone_id: str) -> None:
        """A fresh texture for a zone whose last upload failed (its old one may be in any state)."""
        surf = self.zones.get(zone_id)
        if surf is None:
            return
        try:
            surf.release()
        except Exception:  # a broken texture may not even release cleanly; a new one is what matters
            pass
        surf.texture = self.ctx.texture((surf.zone.rect.w, surf.zone.rect.h), 4)
        surf.texture.filter = (moderngl.NEAREST, moderngl.NEAREST)
        surf.fbo = self.ctx.framebuffer([surf.texture])
        surf.version, surf.offset = 0, 0

    def scroll(self, zone_id: str, offset: float) -> None:
        """Set a scrolling zone's offset (canvas pixels; wrapped to the strip's period)."""
        surf = self.zones.get(zone_id)
        if surf is not None and surf.version > 0:
            surf.offset = int(round(offset)) % surf.period

    def has_content(self, zone_id: str) -> bool:
        surf = self.zones.get(zone_id)
        return surf is not None and surf.version > 0

    # ----------------------------------------------------------------- composing

    def compose(self) -> ComposeStats:
        stats = ComposeStats()
        for out in self.outputs.values():
            self._compose_output(out, stats)
        return stats

    def _compose_output(self, out: Output, stats: ComposeStats) -> None:
        vp = out.display.viewport
        out.damage = []
        if out.needs_clear:
            out.fbo.use()
            out.fbo.scissor = None
            out.fbo.clear(*self.background)
            out.needs_clear = False
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
        zx, zy = part.x - surf.zone.rect.x, part.y - surf.zone.rect.y
        stats.pixels += part.w * part.h
        out.damage.append(_native_rect(d, part))
        if d.rotation == 0 and self.use_blit:
            dx, dy = part.x - d.viewport.x, part.y - d.viewport.y
            sx = (zx + surf.offset) % surf.period
            first = min(part.w, surf.period - sx)  # columns before the strip wraps around
            gl.blit(surf.fbo, out.fbo, sx, zy, first, part.h, dx, dy)
            stats.blits += 1
            if first < part.w:
                gl.blit(surf.fbo, out.fbo, 0, zy, part.w - first, part.h, dx + first, dy)
                stats.blits += 1
            return
        self._draw_quad(out, surf, part)
        stats.quads += 1

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
        data = out.fbo.read(components=4, alignment=1)
        return np.frombuffer(data, np.uint8).reshape(h, w, 4)

    def release(self) -> None:
        # moderngl rebinds the last framebuffer `use()`d (ctx.fbo) after creating any new one: bind
        # the default framebuffer (ctx.screen; 0 on headless contexts, which have none) before our
        # outputs are deleted, or the context's next framebuffer raises GL_INVALID_OPERATION.
        (self.ctx.screen if self.ctx.screen is not None else self.ctx.detect_framebuffer(0)).use()
        for surf in self.zones.values():
            surf.release()
        for out in self.outputs.values():
            out.fbo.release()
            out.texture.release()
        self._vao.release()
        self._vbo.release()
        self._prog.release()


def _native_rect(d: Display, part: Rect) -> tuple[int, int, int, int]:
    """A canvas rectangle of display d as (x, y, w, h) in its native framebuffer (top-left origin)."""
    xs, ys = zip(*(_canvas_to_native(d, cx, cy) for cx, cy in ((part.x, part.y), (part.x1, part.y1))))
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
