#version 330
// gain: brightness (night dimming); alpha: how much of this layer covers what is below (crossfade).
uniform sampler2D u_tex;
uniform float u_gain;
uniform float u_alpha;
in vec2 v_uv;
out vec4 f_color;
void main() {
    vec4 c = texture(u_tex, v_uv);
    f_color = vec4(c.rgb * u_gain, u_alpha);
}
