"""inredit's Gradio app (`inredit ui`): fit meshes to INRs, edit and combine INRs, with live previews.

- `app`: `build_app` (assembles the page), `launch`, `serve_in_background`.
- `fit_tab`, `edit_tab`, `combine_tab`: one tab each, its components and events.
- `tab_helpers`, `editor_choice`, `shipped_examples`: what the tabs share (error display, editor
  choice and uploaded editors, the example files).
- `fitting`, `editing`, `combining`: the requests themselves; `preview`, `workspace`, `bundle`,
  `limits`: renders, request folders, zips, upload limits. These logic modules hold no gradio code.
- `browser`: playwright helpers for the browser test and `benchmarks/ui.py`.

The package may import `inredit.*` (the library) and gradio (`browser`: playwright); the library
imports it only in `inredit ui`, lazily, since gradio is an optional extra.
"""
