"""The partner feed: minimised copies of the partner-visible events of stream LGNET, in stream
LGNET_PARTNER of the partners' NATS account."""
