/* The Zoom REST client's pure parts: a meeting's id in a path (Zoom: a uuid
 * that begins with "/" or contains "//" must be double URL-encoded). */
#include <string.h>

#include "tap.h"
#include "zoom_api.h"

static void path_id(const char *meeting, const char *want, const char *what)
{
        char out[256];
        ZoomApi_meeting_path_id(meeting, out, sizeof out);
        is_str(out, want, "%s", what);
}

int main(void)
{
        path_id("85012345678", "85012345678", "a numeric id as it is");
        path_id("kQ2m0sTtR9y1bVw8pX3eZg==", "kQ2m0sTtR9y1bVw8pX3eZg%3D%3D",
                "a uuid encoded once (= is %3D)");
        path_id("ab+c/d==", "ab%2Bc%2Fd%3D%3D", "a single / inside: encoded once");
        path_id("/ajXp112QmuoKj4854875==", "%252FajXp112QmuoKj4854875%253D%253D",
                "begins with /: encoded twice");
        path_id("Uu//x==", "Uu%252F%252Fx%253D%253D", "contains //: encoded twice");
        path_id("a-b_c.d~e", "a-b_c.d~e", "unreserved characters stay");
        char small[8];
        ZoomApi_meeting_path_id("/////////", small, sizeof small);
        ok(strlen(small) < sizeof small && strchr(small, '%') == small,
           "cut short in a small buffer, never a torn %%XX (%s)", small);
        ok(strlen(small) % 5 == 0, "whole %%25XX sequences only (%s)", small);
        return done_testing();
}
