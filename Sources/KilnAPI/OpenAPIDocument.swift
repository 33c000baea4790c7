/// The API's description, served at `/api/v1/openapi.json`. Written by
/// hand beside the handlers; `make test` runs schemathesis against it, so
/// an answer the document does not describe fails CI.
enum OpenAPIDocument {
    static let json = #"""
{
 "openapi": "3.1.0",
 "info": {
  "title": "Kiln management API",
  "version": "1.0.0",
  "description": "Machines Kiln has seen, and the groups, profiles and templates it serves. Reads need a read or write credential; writes a write credential. Every write is checked by loading the catalog with it, written atomically, and serving before the answer."
 },
 "servers": [
  {
   "url": "/"
  }
 ],
 "security": [
  {
   "bearer": []
  },
  {
   "clientCertificate": []
  }
 ],
 "paths": {
  "/api/v1/openapi.json": {
   "get": {
    "summary": "This document",
    "operationId": "openapi",
    "security": [],
    "responses": {
     "200": {
      "description": "The OpenAPI document",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/machines": {
   "get": {
    "summary": "Machines, by MAC, filtered and paginated",
    "operationId": "listMachines",
    "parameters": [
     {
      "name": "stage",
      "in": "query",
      "schema": {
       "$ref": "#/components/schemas/Stage"
      }
     },
     {
      "name": "group",
      "in": "query",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "profile",
      "in": "query",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "since",
      "in": "query",
      "description": "Only machines seen at or after this time",
      "schema": {
       "type": "string",
       "format": "date-time"
      }
     },
     {
      "name": "limit",
      "in": "query",
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000,
       "default": 100
      }
     },
     {
      "name": "offset",
      "in": "query",
      "schema": {
       "type": "integer",
       "minimum": 0,
       "maximum": 2147483647,
       "default": 0
      }
     }
    ],
    "responses": {
     "200": {
      "description": "A page of machines",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/MachinePage"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   }
  },
  "/api/v1/machines/{mac}": {
   "parameters": [
    {
     "$ref": "#/components/parameters/MAC"
    }
   ],
   "get": {
    "summary": "One machine",
    "operationId": "getMachine",
    "responses": {
     "200": {
      "description": "The machine",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Machine"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   }
  },
  "/api/v1/machines/{mac}/events": {
   "parameters": [
    {
     "$ref": "#/components/parameters/MAC"
    }
   ],
   "get": {
    "summary": "A machine's boot events, oldest first",
    "operationId": "listEvents",
    "parameters": [
     {
      "name": "limit",
      "in": "query",
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 10000,
       "default": 1000
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The latest events",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/EventList"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   }
  },
  "/api/v1/machines/{mac}/assign": {
   "parameters": [
    {
     "$ref": "#/components/parameters/MAC"
    }
   ],
   "post": {
    "summary": "Give a machine a profile: writes the group machine-<mac> that selects it",
    "operationId": "assignMachine",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/Assignment"
       }
      }
     }
    },
    "responses": {
     "200": {
      "$ref": "#/components/responses/Written"
     },
     "201": {
      "$ref": "#/components/responses/Written"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "412": {
      "$ref": "#/components/responses/PreconditionFailed"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "422": {
      "$ref": "#/components/responses/Invalid"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   }
  },
  "/api/v1/groups": {
   "get": {
    "summary": "Groups",
    "operationId": "listGroups",
    "responses": {
     "200": {
      "$ref": "#/components/responses/RecordList"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   }
  },
  "/api/v1/groups/{name}": {
   "parameters": [
    {
     "$ref": "#/components/parameters/Name"
    }
   ],
   "get": {
    "summary": "A group's file",
    "operationId": "getGroup",
    "responses": {
     "200": {
      "$ref": "#/components/responses/Document"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   },
   "put": {
    "summary": "Create or replace a group",
    "operationId": "putGroup",
    "parameters": [
     {
      "$ref": "#/components/parameters/IfMatch"
     },
     {
      "$ref": "#/components/parameters/IfNoneMatch"
     }
    ],
    "requestBody": {
     "$ref": "#/components/requestBodies/Group"
    },
    "responses": {
     "200": {
      "$ref": "#/components/responses/Written"
     },
     "201": {
      "$ref": "#/components/responses/Written"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "412": {
      "$ref": "#/components/responses/PreconditionFailed"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "422": {
      "$ref": "#/components/responses/Invalid"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   },
   "delete": {
    "summary": "Delete a group",
    "operationId": "deleteGroup",
    "parameters": [
     {
      "$ref": "#/components/parameters/IfMatch"
     }
    ],
    "responses": {
     "204": {
      "description": "Deleted; the catalog without it is serving"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "412": {
      "$ref": "#/components/responses/PreconditionFailed"
     },
     "422": {
      "$ref": "#/components/responses/Invalid"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   }
  },
  "/api/v1/profiles": {
   "get": {
    "summary": "Profiles",
    "operationId": "listProfiles",
    "responses": {
     "200": {
      "$ref": "#/components/responses/RecordList"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   }
  },
  "/api/v1/profiles/{name}": {
   "parameters": [
    {
     "$ref": "#/components/parameters/Name"
    }
   ],
   "get": {
    "summary": "A profile's file",
    "operationId": "getProfile",
    "responses": {
     "200": {
      "$ref": "#/components/responses/Document"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   },
   "put": {
    "summary": "Create or replace a profile",
    "operationId": "putProfile",
    "parameters": [
     {
      "$ref": "#/components/parameters/IfMatch"
     },
     {
      "$ref": "#/components/parameters/IfNoneMatch"
     }
    ],
    "requestBody": {
     "$ref": "#/components/requestBodies/Profile"
    },
    "responses": {
     "200": {
      "$ref": "#/components/responses/Written"
     },
     "201": {
      "$ref": "#/components/responses/Written"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "412": {
      "$ref": "#/components/responses/PreconditionFailed"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "422": {
      "$ref": "#/components/responses/Invalid"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   },
   "delete": {
    "summary": "Delete a profile",
    "operationId": "deleteProfile",
    "parameters": [
     {
      "$ref": "#/components/parameters/IfMatch"
     }
    ],
    "responses": {
     "204": {
      "description": "Deleted; the catalog without it is serving"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "412": {
      "$ref": "#/components/responses/PreconditionFailed"
     },
     "422": {
      "$ref": "#/components/responses/Invalid"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   }
  },
  "/api/v1/templates/{kind}": {
   "parameters": [
    {
     "$ref": "#/components/parameters/TemplateKind"
    }
   ],
   "get": {
    "summary": "Templates of one kind (files at the top of its folder)",
    "operationId": "listTemplates",
    "responses": {
     "200": {
      "$ref": "#/components/responses/RecordList"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   }
  },
  "/api/v1/templates/{kind}/{name}": {
   "parameters": [
    {
     "$ref": "#/components/parameters/TemplateKind"
    },
    {
     "$ref": "#/components/parameters/Name"
    }
   ],
   "get": {
    "summary": "A template's bytes",
    "operationId": "getTemplate",
    "responses": {
     "200": {
      "description": "The file as stored",
      "headers": {
       "ETag": {
        "$ref": "#/components/headers/ETag"
       }
      },
      "content": {
       "application/octet-stream": {
        "schema": {
         "type": "string",
         "format": "binary"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   },
   "put": {
    "summary": "Create or replace a template",
    "operationId": "putTemplate",
    "parameters": [
     {
      "$ref": "#/components/parameters/IfMatch"
     },
     {
      "$ref": "#/components/parameters/IfNoneMatch"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/octet-stream": {
       "schema": {
        "type": "string",
        "format": "binary"
       }
      }
     }
    },
    "responses": {
     "200": {
      "$ref": "#/components/responses/Written"
     },
     "201": {
      "$ref": "#/components/responses/Written"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "412": {
      "$ref": "#/components/responses/PreconditionFailed"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "422": {
      "$ref": "#/components/responses/Invalid"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   },
   "delete": {
    "summary": "Delete a template",
    "operationId": "deleteTemplate",
    "parameters": [
     {
      "$ref": "#/components/parameters/IfMatch"
     }
    ],
    "responses": {
     "204": {
      "description": "Deleted; the catalog without it is serving"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "412": {
      "$ref": "#/components/responses/PreconditionFailed"
     },
     "422": {
      "$ref": "#/components/responses/Invalid"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   }
  }
 },
 "components": {
  "securitySchemes": {
   "bearer": {
    "type": "http",
    "scheme": "bearer",
    "description": "A token from kiln token add, listed in --api-tokens"
   },
   "clientCertificate": {
    "type": "mutualTLS",
    "description": "A certificate signed by --api-client-ca"
   }
  },
  "parameters": {
   "MAC": {
    "name": "mac",
    "in": "path",
    "required": true,
    "schema": {
     "type": "string",
     "examples": [
      "52:54:00:12:34:56"
     ]
    }
   },
   "Name": {
    "name": "name",
    "in": "path",
    "required": true,
    "description": "Letters, digits and . _ - : @ + only, not starting with a dot; at most 200",
    "schema": {
     "type": "string",
     "pattern": "^[A-Za-z0-9_:@+-][A-Za-z0-9._:@+-]{0,199}$"
    }
   },
   "TemplateKind": {
    "name": "kind",
    "in": "path",
    "required": true,
    "schema": {
     "type": "string",
     "enum": [
      "ignition",
      "generic",
      "cloud"
     ]
    }
   },
   "IfMatch": {
    "name": "If-Match",
    "in": "header",
    "description": "Write only if the file's ETag is one of these (or * for any existing file)",
    "schema": {
     "type": "string"
    }
   },
   "IfNoneMatch": {
    "name": "If-None-Match",
    "in": "header",
    "description": "* to create only",
    "schema": {
     "type": "string",
     "enum": [
      "*"
     ]
    }
   }
  },
  "headers": {
   "ETag": {
    "description": "The file's entity tag, for If-Match",
    "schema": {
     "type": "string"
    }
   }
  },
  "requestBodies": {
   "Group": {
    "required": true,
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Group"
      }
     }
    }
   },
   "Profile": {
    "required": true,
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Profile"
      }
     }
    }
   }
  },
  "responses": {
   "Written": {
    "description": "Written and serving",
    "headers": {
     "ETag": {
      "$ref": "#/components/headers/ETag"
     }
    },
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Written"
      }
     }
    }
   },
   "Document": {
    "description": "The file as stored",
    "headers": {
     "ETag": {
      "$ref": "#/components/headers/ETag"
     }
    },
    "content": {
     "application/json": {
      "schema": {
       "type": "object"
      }
     }
    }
   },
   "RecordList": {
    "description": "Names and entity tags",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/RecordList"
      }
     }
    }
   },
   "BadRequest": {
    "description": "A malformed name, parameter or body",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "Unauthorized": {
    "description": "No credential, or an unknown token",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "Forbidden": {
    "description": "A read-only credential tried to write",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "NotFound": {
    "description": "No such record or machine",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "PreconditionFailed": {
    "description": "If-Match or If-None-Match did not hold: someone else wrote first",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "TooLarge": {
    "description": "The body is over the limit (1 MiB for JSON, 8 MiB for templates)",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "Invalid": {
    "description": "The catalog would not load with this write, or it adds an ambiguity; nothing was written",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "Unavailable": {
    "description": "The inventory is off or unreadable, or the data directory cannot be written",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   }
  },
  "schemas": {
   "Error": {
    "type": "object",
    "required": [
     "error"
    ],
    "properties": {
     "error": {
      "type": "string"
     },
     "reasons": {
      "type": "array",
      "items": {
       "type": "string"
      }
     }
    }
   },
   "Stage": {
    "type": "string",
    "enum": [
     "discovered",
     "firmware",
     "ipxe",
     "kernel",
     "initrd",
     "config"
    ]
   },
   "Machine": {
    "type": "object",
    "required": [
     "mac",
     "stage",
     "labels",
     "first_seen",
     "last_seen",
     "group",
     "profile",
     "address",
     "last_error"
    ],
    "properties": {
     "mac": {
      "type": "string"
     },
     "stage": {
      "$ref": "#/components/schemas/Stage"
     },
     "labels": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      }
     },
     "first_seen": {
      "type": "string",
      "format": "date-time"
     },
     "last_seen": {
      "type": "string",
      "format": "date-time"
     },
     "group": {
      "type": [
       "string",
       "null"
      ]
     },
     "profile": {
      "type": [
       "string",
       "null"
      ]
     },
     "address": {
      "type": [
       "string",
       "null"
      ]
     },
     "last_error": {
      "type": [
       "string",
       "null"
      ]
     }
    }
   },
   "MachinePage": {
    "type": "object",
    "required": [
     "machines",
     "next_offset"
    ],
    "properties": {
     "machines": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Machine"
      }
     },
     "next_offset": {
      "type": [
       "integer",
       "null"
      ]
     }
    }
   },
   "Event": {
    "type": "object",
    "required": [
     "time",
     "kind",
     "endpoint",
     "target",
     "status",
     "stage",
     "repeats"
    ],
    "properties": {
     "time": {
      "type": "string",
      "format": "date-time"
     },
     "kind": {
      "type": "string",
      "enum": [
       "dhcp",
       "tftp",
       "http"
      ]
     },
     "endpoint": {
      "type": "string"
     },
     "target": {
      "type": "string"
     },
     "status": {
      "type": "integer"
     },
     "stage": {
      "$ref": "#/components/schemas/Stage"
     },
     "repeats": {
      "type": "integer",
      "minimum": 1
     },
     "client": {
      "type": [
       "string",
       "null"
      ]
     },
     "bytes": {
      "type": [
       "integer",
       "null"
      ]
     },
     "duration": {
      "type": [
       "number",
       "null"
      ]
     },
     "reason": {
      "type": [
       "string",
       "null"
      ]
     }
    }
   },
   "EventList": {
    "type": "object",
    "required": [
     "mac",
     "events"
    ],
    "properties": {
     "mac": {
      "type": "string"
     },
     "events": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Event"
      }
     }
    }
   },
   "RecordList": {
    "type": "object",
    "required": [
     "kind",
     "items"
    ],
    "properties": {
     "kind": {
      "type": "string"
     },
     "items": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "name",
        "etag",
        "size"
       ],
       "properties": {
        "name": {
         "type": "string"
        },
        "etag": {
         "type": "string"
        },
        "size": {
         "type": "integer"
        }
       }
      }
     }
    }
   },
   "Written": {
    "type": "object",
    "required": [
     "kind",
     "name",
     "etag",
     "created"
    ],
    "properties": {
     "kind": {
      "type": "string"
     },
     "name": {
      "type": "string"
     },
     "etag": {
      "type": "string"
     },
     "created": {
      "type": "boolean"
     }
    }
   },
   "Assignment": {
    "type": "object",
    "required": [
     "profile"
    ],
    "additionalProperties": false,
    "properties": {
     "profile": {
      "type": "string",
      "minLength": 1
     },
     "metadata": {
      "type": "object"
     }
    }
   },
   "Group": {
    "type": "object",
    "description": "matchbox's group: selects machines by labels and names a profile",
    "required": [
     "profile"
    ],
    "properties": {
     "id": {
      "type": "string"
     },
     "name": {
      "type": "string"
     },
     "profile": {
      "type": "string"
     },
     "selector": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      }
     },
     "metadata": {
      "type": "object"
     }
    }
   },
   "Profile": {
    "type": "object",
    "description": "matchbox's profile: what a machine boots and the configs it gets",
    "properties": {
     "id": {
      "type": "string"
     },
     "name": {
      "type": "string"
     },
     "boot": {
      "type": "object",
      "properties": {
       "kernel": {
        "type": "string"
       },
       "initrd": {
        "type": "array",
        "items": {
         "type": "string"
        }
       },
       "args": {
        "type": "array",
        "items": {
         "type": "string"
        }
       }
      }
     },
     "ignition_id": {
      "type": "string"
     },
     "generic_id": {
      "type": "string"
     },
     "cloud_id": {
      "type": "string"
     },
     "dhcp_bootfile": {
      "type": "string"
     },
     "clc_ignition_version": {
      "type": "string",
      "enum": ["2.2.0", "2.3.0"]
     },
     "clc_platform": {
      "type": "string"
     }
    }
   }
  }
 }
}
"""#
}
