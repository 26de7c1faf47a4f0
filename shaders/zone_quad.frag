#version 330
// Nearest sampling: zone textures are painted at the exact size they are shown, 1:1.
uniform sampler2D u_zone;
in vec2 v_uv;
out vec4 f_color;
void main() {
    f_color = texture(u_zone, v_uv);
}
