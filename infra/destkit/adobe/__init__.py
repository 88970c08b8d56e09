"""Register a destination with Adobe Experience Platform's Destination SDK from the stack outputs."""
