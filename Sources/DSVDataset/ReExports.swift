/// The dataset model speaks faithful JSON: its values (`JSONValue`) are part of its API.
@_exported import DSVJSON
