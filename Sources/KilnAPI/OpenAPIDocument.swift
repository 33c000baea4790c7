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
  "description": "Machines Kiln has seen, and the groups, profiles and templates it serves. Reads need a read or write credential; writes a write credential. Every write is checked by loading the catalog with it, written atomically, and serving before the answer. A machine's BMC (Redfish) is added with a write-only account and acted on through /api/v1/machines/{mac}/bmc/…."
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
  "/api/v1/machines/{mac}/bmc": {
   "parameters": [
    {
     "$ref": "#/components/parameters/MAC"
    }
   ],
   "get": {
    "summary": "A machine's BMC (never its account)",
    "operationId": "getBMC",
    "responses": {
     "200": {
      "description": "The BMC",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/BMC"
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
    "summary": "Add or replace a machine's BMC; enrolls a machine Kiln has not seen. The BMC is not contacted; its facts are read in the background",
    "operationId": "putBMC",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/BMCRegistration"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "Replaced",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/BMC"
        }
       }
      }
     },
     "201": {
      "description": "Added",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/BMC"
        }
       }
      }
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
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
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   },
   "delete": {
    "summary": "Forget a machine's BMC and its account",
    "operationId": "deleteBMC",
    "responses": {
     "204": {
      "description": "Removed"
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
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   }
  },
  "/api/v1/machines/{mac}/bmc/power": {
   "parameters": [
    {
     "$ref": "#/components/parameters/MAC"
    }
   ],
   "get": {
    "summary": "The power state, read from the BMC",
    "operationId": "getPower",
    "responses": {
     "200": {
      "description": "What the BMC did",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/BMCOutcome"
        }
       }
      }
     },
     "409": {
      "$ref": "#/components/responses/Busy"
     },
     "502": {
      "$ref": "#/components/responses/BMCFailed"
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
   "post": {
    "summary": "Power on, off (graceful, then forced) or cycle, waiting for the BMC to report the new state",
    "operationId": "setPower",
    "responses": {
     "200": {
      "description": "What the BMC did",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/BMCOutcome"
        }
       }
      }
     },
     "409": {
      "$ref": "#/components/responses/Busy"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "502": {
      "$ref": "#/components/responses/BMCFailed"
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
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "additionalProperties": false,
        "required": [
         "action"
        ],
        "properties": {
         "action": {
          "type": "string",
          "enum": [
           "on",
           "off",
           "cycle"
          ]
         }
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/machines/{mac}/bmc/boot": {
   "parameters": [
    {
     "$ref": "#/components/parameters/MAC"
    }
   ],
   "post": {
    "summary": "The device the machine boots from next time only",
    "operationId": "bootOnce",
    "responses": {
     "200": {
      "description": "What the BMC did",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/BMCOutcome"
        }
       }
      }
     },
     "409": {
      "$ref": "#/components/responses/Busy"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "502": {
      "$ref": "#/components/responses/BMCFailed"
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
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "additionalProperties": false,
        "required": [
         "device"
        ],
        "properties": {
         "device": {
          "type": "string",
          "enum": [
           "pxe",
           "cd",
           "disk"
          ]
         }
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/machines/{mac}/bmc/media": {
   "parameters": [
    {
     "$ref": "#/components/parameters/MAC"
    }
   ],
   "post": {
    "summary": "Insert an image as virtual media in the CD drive",
    "operationId": "insertMedia",
    "responses": {
     "200": {
      "description": "What the BMC did",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/BMCOutcome"
        }
       }
      }
     },
     "409": {
      "$ref": "#/components/responses/Busy"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "502": {
      "$ref": "#/components/responses/BMCFailed"
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
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "additionalProperties": false,
        "required": [
         "image"
        ],
        "properties": {
         "image": {
          "type": "string",
          "description": "http(s) URL the BMC fetches"
         }
        }
       }
      }
     }
    }
   },
   "delete": {
    "summary": "Eject the virtual media",
    "operationId": "ejectMedia",
    "responses": {
     "200": {
      "description": "What the BMC did",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/BMCOutcome"
        }
       }
      }
     },
     "409": {
      "$ref": "#/components/responses/Busy"
     },
     "502": {
      "$ref": "#/components/responses/BMCFailed"
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
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   }
  },
  "/api/v1/machines/{mac}/bmc/netboot": {
   "parameters": [
    {
     "$ref": "#/components/parameters/MAC"
    }
   ],
   "post": {
    "summary": "PXE next boot, then power on or cycle",
    "operationId": "netboot",
    "responses": {
     "200": {
      "description": "What the BMC did",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/BMCOutcome"
        }
       }
      }
     },
     "409": {
      "$ref": "#/components/responses/Busy"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "502": {
      "$ref": "#/components/responses/BMCFailed"
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
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    },
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "additionalProperties": false,
        "properties": {}
       }
      }
     }
    }
   }
  },
  "/api/v1/machines/{mac}/bmc/install-iso": {
   "parameters": [
    {
     "$ref": "#/components/parameters/MAC"
    }
   ],
   "post": {
    "summary": "Kiln's installer ISO for the machine (or /netboot.iso) as virtual media, CD next boot, power on or cycle; ejected when the machine reaches config or at the deadline",
    "operationId": "installISO",
    "responses": {
     "200": {
      "description": "What the BMC did",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/BMCOutcome"
        }
       }
      }
     },
     "409": {
      "$ref": "#/components/responses/Busy"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "502": {
      "$ref": "#/components/responses/BMCFailed"
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
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    },
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
         "netboot_cd": {
          "type": "boolean"
         }
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/machines/{mac}/bmc/facts": {
   "parameters": [
    {
     "$ref": "#/components/parameters/MAC"
    }
   ],
   "post": {
    "summary": "Read the hardware facts from the BMC and keep them on the machine",
    "operationId": "readFacts",
    "responses": {
     "200": {
      "description": "What the BMC did",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/BMCOutcome"
        }
       }
      }
     },
     "409": {
      "$ref": "#/components/responses/Busy"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "502": {
      "$ref": "#/components/responses/BMCFailed"
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
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    },
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "additionalProperties": false,
        "properties": {}
       }
      }
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
   },
   "Busy": {
    "description": "Another action is running on the same BMC",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "BMCFailed": {
    "description": "The BMC failed, refused or did not answer: its answer is in error",
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
     },
     "bmc": {
      "oneOf": [
       {
        "$ref": "#/components/schemas/BMC"
       },
       {
        "type": "null"
       }
      ],
      "description": "Present on one machine's answer"
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
       "http",
       "bmc"
      ],
      "description": "What the machine asked for (dhcp, tftp, http), or an action Kiln took through its BMC (bmc, with the BMC's answer in reason)"
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
      "enum": [
       "2.2.0",
       "2.3.0"
      ]
     },
     "clc_platform": {
      "type": "string"
     }
    }
   },
   "HardwareFacts": {
    "type": "object",
    "required": [
     "macs"
    ],
    "properties": {
     "macs": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "manufacturer": {
      "type": [
       "string",
       "null"
      ]
     },
     "model": {
      "type": [
       "string",
       "null"
      ]
     },
     "serial": {
      "type": [
       "string",
       "null"
      ]
     },
     "bios_version": {
      "type": [
       "string",
       "null"
      ]
     },
     "uuid": {
      "type": [
       "string",
       "null"
      ]
     },
     "cpu_count": {
      "type": [
       "integer",
       "null"
      ]
     },
     "memory_gib": {
      "type": [
       "number",
       "null"
      ]
     },
     "power_state": {
      "type": [
       "string",
       "null"
      ]
     }
    }
   },
   "BMC": {
    "type": "object",
    "description": "A machine's BMC as Kiln shows it: never the account",
    "required": [
     "mac",
     "url",
     "trust",
     "added",
     "system_path",
     "facts",
     "facts_read",
     "pending_eject"
    ],
    "properties": {
     "mac": {
      "type": "string"
     },
     "url": {
      "type": "string"
     },
     "system_path": {
      "type": [
       "string",
       "null"
      ]
     },
     "trust": {
      "type": "string",
      "enum": [
       "system",
       "ca",
       "insecure"
      ]
     },
     "added": {
      "type": "string",
      "format": "date-time"
     },
     "facts": {
      "oneOf": [
       {
        "$ref": "#/components/schemas/HardwareFacts"
       },
       {
        "type": "null"
       }
      ]
     },
     "facts_read": {
      "type": [
       "string",
       "null"
      ],
      "format": "date-time"
     },
     "pending_eject": {
      "oneOf": [
       {
        "type": "object",
        "required": [
         "image",
         "since",
         "deadline"
        ],
        "properties": {
         "image": {
          "type": "string"
         },
         "since": {
          "type": "string",
          "format": "date-time"
         },
         "deadline": {
          "type": "string",
          "format": "date-time"
         }
        }
       },
       {
        "type": "null"
       }
      ]
     }
    }
   },
   "BMCRegistration": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "url",
     "username",
     "password"
    ],
    "properties": {
     "url": {
      "type": "string",
      "description": "The BMC's Redfish URL: https://HOST[:PORT] (http:// for emulators)"
     },
     "system_path": {
      "type": [
       "string",
       "null"
      ],
      "description": "/redfish/v1/Systems/… when the BMC manages several systems"
     },
     "username": {
      "type": "string",
      "writeOnly": true
     },
     "password": {
      "type": "string",
      "writeOnly": true
     },
     "ca_pem": {
      "type": [
       "string",
       "null"
      ],
      "description": "PEM CA certificate the BMC's certificate must chain to"
     },
     "insecure": {
      "type": "boolean",
      "description": "Skip the certificate check"
     }
    }
   },
   "BMCOutcome": {
    "type": "object",
    "required": [
     "action",
     "result",
     "notes"
    ],
    "properties": {
     "action": {
      "type": "string"
     },
     "result": {
      "type": "string",
      "description": "The BMC's answer"
     },
     "notes": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "power_state": {
      "type": "string"
     },
     "facts": {
      "$ref": "#/components/schemas/HardwareFacts"
     }
    }
   }
  }
 }
}
"""#
}
