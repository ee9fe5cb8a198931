"""The registry of actors: governments, UN agencies, NGOs, refugee-led organisations, …"""
