// Command orderdelivery is the system under test of the seed's scenario:
// an order service and a delivery service over RabbitMQ and MongoDB, in two
// versions (V1 loses orders when its broker dies, V2 does not), plus the
// RabbitMQ harness and the demo environment that runs both side by side.
//
//	orderdelivery serve --version v1|v2 [--mongo-uri URI] [--brokers URL,...] ...
//	orderdelivery broker up|restart|down|leader --state DIR [...]
//	orderdelivery demo-env up|down [--state DIR]
//
// Run `orderdelivery <command> -h` for the flags of each command.
package main
