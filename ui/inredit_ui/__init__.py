"""inredit's Gradio app (`inredit ui`): fit meshes to INRs and edit INRs, with live previews."""
