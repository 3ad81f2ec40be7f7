"""ODK Collect / KoBoToolbox: siks as an OpenRosa server, its XLSForms, and imports of their exports."""
