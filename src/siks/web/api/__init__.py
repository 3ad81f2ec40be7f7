"""The JSON API `/api/v1`: one module per area, over the same services as the pages in `siks.web.routes`."""
