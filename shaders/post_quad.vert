#version 330
// A texture drawn onto an output as a quad whose corners arrive in the output's native pixels
// (transitions, spotlight, night dimming and pixel shift: the post stage of the compositor).
uniform vec2 u_output_size;
in vec2 in_pos;
in vec2 in_uv;
out vec2 v_uv;
void main() {
    v_uv = in_uv;
    gl_Position = vec4(in_pos / u_output_size * 2.0 - 1.0, 0.0, 1.0);
}
