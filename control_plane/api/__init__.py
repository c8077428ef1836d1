"""Thin handlers, one module per resource: parse (done by the route), open the transaction,
call store/services, audit, return a pydantic model."""
