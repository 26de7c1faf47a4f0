#version 330
// One zone texture drawn onto an output whose panel is mounted rotated. Positions arrive in
// the output's native pixels (computed on the CPU from geometry); texcoords in the zone texture.
uniform vec2 u_output_size;
in vec2 in_pos;
in vec2 in_uv;
out vec2 v_uv;
void main() {
    v_uv = in_uv;
    gl_Position = vec4(in_pos / u_output_size * 2.0 - 1.0, 0.0, 1.0);
}
