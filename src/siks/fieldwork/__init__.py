"""Field verval: enumerator assignments, visits and progress. Start at `siks.fieldwork.service`."""
