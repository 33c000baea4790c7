#include <archive.h>
#include <archive_entry.h>

// The AE_IF* file types are macros with casts, which Swift does not import.
static const unsigned int kiln_archive_regular_file = AE_IFREG;
static const unsigned int kiln_archive_directory = AE_IFDIR;
